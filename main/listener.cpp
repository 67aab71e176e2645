#include "main/listener.hpp"

#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sslvpn::mainproc {

std::vector<UniqueFd> bind_passive(const std::string& host, uint16_t port, int socktype, const char* what,
                                   void (*setup)(int fd, int family), const NetnsSockets* ns) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int r = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (r != 0) throw std::runtime_error(std::string(what) + " '" + host + "': " + gai_strerror(r));
  std::vector<UniqueFd> out;
  std::string last_error;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        make_socket(ns, ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) continue;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setup(fd.get(), ai->ai_family);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    out.push_back(std::move(fd));
  }
  ::freeaddrinfo(res);
  if (out.empty())
    throw std::runtime_error(std::string("cannot bind ") + what + " " +
                             (host.empty() ? std::string("*") : host) + ":" + service + ": " + last_error);
  return out;
}

namespace {
constexpr int kDeferAcceptSeconds = 10;
}  // namespace

std::vector<UniqueFd> open_listeners(const std::string& host, uint16_t port, const NetnsSockets* ns) {
  auto fds = bind_passive(
      host, port, SOCK_STREAM, "listen-host", [](int, int) {}, ns);
  for (auto& fd : fds) {
    // A TLS client speaks first: accept() returns a connection once its ClientHello is there
    // (main peeks at it to admit resumptions first); one that says nothing waits in the kernel
    // until the deferral ends.
    int defer_s = kDeferAcceptSeconds;
    (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s);
    if (::listen(fd.get(), 1024) != 0)
      throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
  }
  return fds;
}

std::string address_text(const sockaddr_storage& ss, uint16_t* port) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    if (port) *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
      ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
    else
      ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    if (port) *port = ntohs(a->sin6_port);
  }
  return buf;
}

}  // namespace sslvpn::mainproc
