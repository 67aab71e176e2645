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

#include "common/secret_bytes.hpp"
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

std::string read_management_password(const std::string& file) {
  auto text = read_regular_file(file, 4096);
  if (!text) throw std::runtime_error("openvpn-management: cannot read the password file '" + file + "'");
  std::string password = text->substr(0, text->find('\n'));
  if (!password.empty() && password.back() == '\r') password.pop_back();
  wipe_string(*text);
  if (password.empty())
    throw std::runtime_error("openvpn-management: the first line of the password file '" + file +
                             "' is empty");
  return password;
}

ManagementServer::ManagementServer(struct ev_loop* loop, Logger& log, const std::string& where,
                                   std::string password, ManagementBackend backend)
    : loop_(loop), log_(log), password_(std::move(password)), backend_(std::move(backend)) {
  auto sp = where.find_first_of(" \t");
  std::string first = where.substr(0, sp);
  std::string second = sp == std::string::npos ? "" : std::string(trim(std::string_view(where).substr(sp)));
  if (second == "unix") {
    unix_path_ = first;
    listeners_.push_back(unix_listener(first));
    struct stat st {};
    if (::lstat(first.c_str(), &st) == 0) {
      unix_dev_ = st.st_dev;
      unix_ino_ = st.st_ino;
    }
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
  ev_timer_init(&tick_, &ManagementServer::tick_cb, 1., 1.);
  tick_.data = this;
  ev_timer_start(loop_, &tick_);
}

ManagementServer::~ManagementServer() {
  ev_timer_stop(loop_, &tick_);
  for (auto& io : accept_io_) ev_io_stop(loop_, &io);
  for (auto& c : clients_) ev_io_stop(loop_, &c->io);
  // Only the socket this server bound (not whatever took its name since).
  struct stat st {};
  if (!unix_path_.empty() && ::lstat(unix_path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_dev == unix_dev_ && st.st_ino == unix_ino_)
    ::unlink(unix_path_.c_str());
  wipe_string(password_);
}

void ManagementServer::pause_accepting(bool pause) {
  if (pause == accept_paused_) return;
  accept_paused_ = pause;
  for (auto& io : accept_io_) pause ? ev_io_stop(loop_, &io) : ev_io_start(loop_, &io);
}

// Every second: accepting again (after running out of descriptors), and the timeouts.
void ManagementServer::tick_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<ManagementServer*>(w->data);
  self->pause_accepting(false);
  double now = ev_now(self->loop_);
  std::vector<Client*> late;
  for (auto& c : self->clients_)
    if ((!c->session->verified() && now - c->since > kManagementLoginSeconds) ||
        now - c->last > kManagementIdleSeconds)
      late.push_back(c.get());
  for (Client* c : late) self->drop(*c);
  std::erase_if(self->failures_, [&](double t) { return now - t > 60; });
}

void ManagementServer::accept_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<ManagementServer*>(w->data)->on_accept(w->fd);
}

void ManagementServer::on_accept(int listen_fd) {
  UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd.valid()) {
    // Out of descriptors: the connection waits in the backlog; accepting rests until the tick.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting(true);
    return;
  }
  if (clients_.size() >= kMaxManagementClients) {
    // The oldest client that has not logged in gives way; else the newcomer is turned away.
    auto oldest = std::find_if(clients_.begin(), clients_.end(),
                               [](const std::unique_ptr<Client>& x) { return !x->session->verified(); });
    if (oldest == clients_.end()) {
      static const char kBusy[] = "ERROR: too many management clients\r\n";
      (void)::send(fd.get(), kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      return;
    }
    drop(**oldest);
  }
  auto c = std::make_unique<Client>();
  c->since = c->last = ev_now(loop_);
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
  c.last = ev_now(loop_);
  return answer_lines(c);
}

// The complete lines waiting, answered while the answers waiting stay under the high-water
// mark (the rest wait in `in`, and nothing more is read meanwhile).
bool ManagementServer::answer_lines(Client& c) {
  size_t nl;
  while (!c.session->closing() && c.out.size() < kManagementHighWater &&
         (nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    bool was_verified = c.session->verified();
    if (!was_verified && locked_out()) {
      // Past the limit no password is compared, right or wrong: guessing gains nothing by
      // reconnecting, and the count (and the log) stop growing.
      c.out += "ERROR: too many wrong passwords; try again in a minute\r\n";  // best effort
      (void)::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      drop(c);
      return false;
    }
    c.out += c.session->line(line);
    if (!was_verified && !c.session->verified()) {
      log_.warn("openvpn-management: a wrong password");
      failures_.push_back(ev_now(loop_));
      if (locked_out())
        log_.warn("openvpn-management: ", kManagementFailuresPerMinute,
                  " wrong passwords within a minute; no password is accepted until a minute after the first");
    }
  }
  bool partial_too_long = c.in.find('\n') == std::string::npos && c.in.size() > kMaxManagementLine;
  if (partial_too_long || c.in.size() > 16 * kMaxManagementLine + sizeof(char[4096])) {
    log_.warn("openvpn-management: a client sent a line longer than ", kMaxManagementLine, " bytes; dropped");
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
    // Below the mark again: the lines that waited get their answers.
    if (c.out.size() < kManagementHighWater && c.in.find('\n') != std::string::npos && !answer_lines(c))
      return false;
  }
  if (c.session->closing()) {
    drop(c);
    return false;
  }
  return true;
}

void ManagementServer::rearm(Client& c) {
  bool reading = !c.session->closing() && c.out.size() < kManagementHighWater;
  int events = (reading ? EV_READ : 0) | (c.out.empty() ? 0 : EV_WRITE);
  ev_io_stop(loop_, &c.io);
  ev_io_set(&c.io, c.fd.get(), events);
  if (events != 0) ev_io_start(loop_, &c.io);
}

void ManagementServer::drop(Client& c) {
  ev_io_stop(loop_, &c.io);
  std::erase_if(clients_, [&](const std::unique_ptr<Client>& p) { return p.get() == &c; });
}

}  // namespace sslvpn::mainproc
