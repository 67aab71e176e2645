#include "main/openvpn_mgmt_io.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/text.hpp"
#include "main/listener.hpp"

namespace sslvpn::mainproc {
namespace {

UniqueFd unix_listener(const std::string& path) {
  sockaddr_un sa{};
  if (path.empty() || path.size() >= sizeof sa.sun_path)
    throw std::runtime_error("openvpn-management: the socket path is empty or too long");
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    throw std::runtime_error(std::string("openvpn-management: socket: ") + std::strerror(errno));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());  // a stale one
  mode_t old = ::umask(0077);
  int r = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::umask(old);
  if (r != 0 || ::listen(fd.get(), 8) != 0)
    throw std::runtime_error("openvpn-management: cannot listen on '" + path + "': " + std::strerror(errno));
  return fd;
}

}  // namespace

ManagementServer::ManagementServer(struct ev_loop* loop, Logger& log, const std::string& where,
                                   std::string password, ManagementBackend backend)
    : loop_(loop), log_(log), password_(std::move(password)), backend_(std::move(backend)) {
  auto sp = where.find_first_of(" \t");
  std::string first = where.substr(0, sp);
  std::string second = sp == std::string::npos ? "" : std::string(trim(std::string_view(where).substr(sp)));
  if (second == "unix") {
    unix_path_ = first;
    listeners_.push_back(unix_listener(first));
  } else {
    char* end = nullptr;
    unsigned long port = std::strtoul(second.c_str(), &end, 10);
    if (second.empty() || *end != '\0' || port == 0 || port > 65535)
      throw std::runtime_error("openvpn-management: '" + where + "' is not 'IP PORT' or 'PATH unix'");
    listeners_ =
        bind_passive(first, static_cast<uint16_t>(port), SOCK_STREAM, "openvpn-management", [](int, int) {});
    for (auto& fd : listeners_) {
      (void)::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
      if (::listen(fd.get(), 8) != 0)
        throw std::runtime_error(std::string("openvpn-management: listen: ") + std::strerror(errno));
    }
  }
  accept_io_.resize(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    ev_io_init(&accept_io_[i], &ManagementServer::accept_cb, listeners_[i].get(), EV_READ);
    accept_io_[i].data = this;
    ev_io_start(loop_, &accept_io_[i]);
  }
}

ManagementServer::~ManagementServer() {
  for (auto& io : accept_io_) ev_io_stop(loop_, &io);
  for (auto& c : clients_) ev_io_stop(loop_, &c->io);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void ManagementServer::accept_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<ManagementServer*>(w->data)->on_accept(w->fd);
}

void ManagementServer::on_accept(int listen_fd) {
  UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd.valid()) return;
  if (clients_.size() >= kMaxManagementClients) {
    static const char kBusy[] = "ERROR: too many management clients\r\n";
    (void)::send(fd.get(), kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  auto c = std::make_unique<Client>();
  c->owner = this;
  c->fd = std::move(fd);
  c->session = std::make_unique<ManagementSession>(backend_, password_);
  c->out = c->session->greeting();
  ev_io_init(&c->io, &ManagementServer::client_cb, c->fd.get(), EV_READ);
  c->io.data = c.get();
  clients_.push_back(std::move(c));
  Client& ref = *clients_.back();
  if (flush(ref)) rearm(ref);
}

void ManagementServer::client_cb(struct ev_loop*, ev_io* w, int revents) {
  auto* c = static_cast<Client*>(w->data);
  ManagementServer* self = c->owner;
  if ((revents & EV_READ) && !self->on_readable(*c)) return;
  if (!self->flush(*c)) return;
  self->rearm(*c);
}

bool ManagementServer::on_readable(Client& c) {
  char buf[4096];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    drop(c);
    return false;
  }
  c.in.append(buf, static_cast<size_t>(n));
  size_t nl;
  while (!c.session->closing() && (nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    c.out += c.session->line(line);
  }
  if (c.in.size() > kMaxManagementLine || c.out.size() > kMaxManagementQueue) {
    log_.warn("openvpn-management: a client sent a line longer than ", kMaxManagementLine,
              " bytes or did not read its answers; dropped");
    drop(c);
    return false;
  }
  return true;
}

bool ManagementServer::flush(Client& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) {
      drop(c);
      return false;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  if (c.session->closing()) {
    drop(c);
    return false;
  }
  return true;
}

void ManagementServer::rearm(Client& c) {
  int events = (c.session->closing() ? 0 : EV_READ) | (c.out.empty() ? 0 : EV_WRITE);
  ev_io_stop(loop_, &c.io);
  ev_io_set(&c.io, c.fd.get(), events);
  if (events != 0) ev_io_start(loop_, &c.io);
}

void ManagementServer::drop(Client& c) {
  ev_io_stop(loop_, &c.io);
  std::erase_if(clients_, [&](const std::unique_ptr<Client>& p) { return p.get() == &c; });
}

}  // namespace sslvpn::mainproc
