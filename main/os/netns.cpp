#include "main/os/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace sslvpn::mainproc {

std::unique_ptr<NetnsSockets> NetnsSockets::open(const std::string& name) {
  if (name.empty() || (name[0] != '/' && name.find('/') != std::string::npos))
    throw std::runtime_error("listen-netns '" + name + "': a name from 'ip netns list' or an absolute path");
  std::unique_ptr<NetnsSockets> ns(new NetnsSockets);
  ns->name_ = name;
  std::string path = name[0] == '/' ? name : "/run/netns/" + name;
  ns->target_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns->target_.valid())
    throw std::runtime_error("listen-netns: cannot open " + path + ": " + std::strerror(errno) +
                             " (make it with: ip netns add " + name + ")");
  ns->home_ = UniqueFd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!ns->home_.valid())
    throw std::runtime_error(std::string("cannot open /proc/self/ns/net: ") + std::strerror(errno));
  // Try once now, so that a refusal stops the start with its reason.
  int fd = ns->socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("listen-netns '" + name + "': cannot enter it: " + std::strerror(errno) +
                             " (needs CAP_SYS_ADMIN; under systemd also RestrictNamespaces=~net, see "
                             "doc/configuration.md)");
  ::close(fd);
  return ns;
}

int NetnsSockets::socket(int domain, int type, int protocol) const {
  if (::setns(target_.get(), CLONE_NEWNET) != 0) return -1;
  int fd = ::socket(domain, type, protocol);
  int saved = errno;
  if (::setns(home_.get(), CLONE_NEWNET) != 0) {
    // main would go on in the wrong namespace (TUN devices, routes): stop instead.
    std::fprintf(stderr, "sslvpnd: cannot return from listen-netns: %s\n", std::strerror(errno));
    std::abort();
  }
  errno = saved;
  return fd;
}

int make_socket(const NetnsSockets* ns, int domain, int type, int protocol) {
  return ns != nullptr ? ns->socket(domain, type, protocol) : ::socket(domain, type, protocol);
}

}  // namespace sslvpn::mainproc
