#include "main/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sslvpn::mainproc {
namespace {

// Concurrent sslvpnctl connections; more are refused.
constexpr size_t kMaxControlClients = 16;
// What may wait for one client: a "show users" of tens of thousands of sessions fits.
constexpr size_t kMaxQueuedToClient = 32u << 20;

}  // namespace

void make_parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = path.substr(0, slash);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot make directory '" + dir + "': " + write_error(errno));
}

std::string write_error(int err) {
  std::string e = std::strerror(err);
  if (err == EROFS) e += " (under sslvpnd.service only /run/sslvpnd and /var/lib/sslvpnd are writable)";
  return e;
}

ControlSocket::ControlSocket(struct ev_loop* loop, Logger& log, std::string path, Handler handler)
    : loop_(loop), log_(log), path_(std::move(path)), handler_(std::move(handler)) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path_.size() >= sizeof sa.sun_path) throw std::runtime_error("occtl-socket-file path is too long");
  std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
  listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_.valid()) throw std::runtime_error("control socket: " + std::string(std::strerror(errno)));
  make_parent_dir(path_);
  ::unlink(path_.c_str());
  mode_t old = ::umask(077);
  int r = ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::umask(old);
  if (r != 0 || ::listen(listen_.get(), 16) != 0)
    throw std::runtime_error("cannot listen on occtl-socket-file '" + path_ + "': " + write_error(errno));
  ev_io_init(&accept_io_, &ControlSocket::accept_cb, listen_.get(), EV_READ);
  accept_io_.data = this;
  ev_io_start(loop_, &accept_io_);
  ev_init(&accept_pause_, &ControlSocket::resume_cb);
  accept_pause_.data = this;
}

ControlSocket::~ControlSocket() {
  ev_timer_stop(loop_, &accept_pause_);
  ev_io_stop(loop_, &accept_io_);
  for (auto& c : clients_) ev_io_stop(loop_, &c->io);
  ::unlink(path_.c_str());
}

void ControlSocket::accept_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<ControlSocket*>(w->data)->on_accept();
}
void ControlSocket::resume_cb(struct ev_loop* loop, ev_timer* w, int) {
  ev_io_start(loop, &static_cast<ControlSocket*>(w->data)->accept_io_);
}
void ControlSocket::client_cb(struct ev_loop*, ev_io* w, int) {
  auto* c = static_cast<Client*>(w->data);
  c->owner->on_client(*c);
}

void ControlSocket::on_accept() {
  UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd.valid()) {
    // Out of descriptors the listener stays readable: rest rather than spin on accept4.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      ev_io_stop(loop_, &accept_io_);
      ev_timer_set(&accept_pause_, 0.1, 0.);
      ev_timer_start(loop_, &accept_pause_);
    }
    return;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
    log_.warn("control socket: refused a peer with uid ", cred.uid, " (root only)");
    return;
  }
  if (clients_.size() >= kMaxControlClients) return;
  auto c = std::make_unique<Client>();
  c->owner = this;
  c->token = next_token_++;
  c->channel = IpcChannel(std::move(fd));
  c->out.emplace(loop_, c->channel, kMaxQueuedToClient);
  ev_io_init(&c->io, &ControlSocket::client_cb, c->channel.raw_fd(), EV_READ);
  c->io.data = c.get();
  ev_io_start(loop_, &c->io);
  clients_.push_back(std::move(c));
}

void ControlSocket::drop(Client& c) {
  ev_io_stop(loop_, &c.io);
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [&](const auto& p) { return p.get() == &c; }),
      clients_.end());
}

void ControlSocket::on_client(Client& c) {
  auto r = c.channel.recv<ctl::CtlRequest>(true);
  if (!r.ok()) {
    if (r.error() != Errc::Timeout) drop(c);
    return;
  }
  if (r->second.valid()) return drop(c);
  if (r->first.has_watch_events() && r->first.watch_events()) {
    if (watchers() >= kMaxControlClients / 2) {
      ctl::CtlReply busy;
      busy.set_error("too many event watchers");
      if (!c.out->send(busy)) drop(c);
      return;
    }
    c.watching = true;
    ctl::CtlReply ok;
    ok.set_ok(true);
    if (!c.out->send(ok)) drop(c);
    return;
  }
  std::optional<ctl::CtlReply> reply = handler_(r->first, c.token);
  if (!reply) return;  // answer() sends it
  for (const auto& part : split_ctl_reply(std::move(*reply)))
    if (!c.out->send(part)) return drop(c);
}

void ControlSocket::answer(uint64_t token, ctl::CtlReply reply) {
  for (auto& c : clients_) {
    if (c->token != token) continue;
    bool more = reply.more();
    auto parts = split_ctl_reply(std::move(reply));
    // split_ctl_reply marks its own parts; the last one carries the sender's `more`.
    parts.back().set_more(more);
    for (const auto& part : parts)
      if (!c->out->send(part)) return drop(*c);
    return;
  }
}

// Rows per reply message, and bytes: each part stays under the IPC size limit (kMaxIpcMessage)
// whatever its rows hold (a user row with many routes, or a GlobalProtect HIP report, is
// kilobytes). A part always takes at least one row, so the split ends.
constexpr int kRowsPerReply = 100;
constexpr size_t kReplyPartBytes = 48 * 1024;

std::vector<ctl::CtlReply> split_ctl_reply(ctl::CtlReply reply) {
  std::vector<ctl::CtlReply> parts;
  auto fits = [](const ctl::CtlReply& r) {
    int most = std::max({r.users_size(), r.sessions_size(), r.bans_size(), r.flows_size()});
    return most <= kRowsPerReply && r.ByteSizeLong() <= kReplyPartBytes;
  };
  while (!fits(reply)) {
    ctl::CtlReply part;
    part.set_ok(reply.ok());
    part.set_more(true);
    size_t bytes = 0;
    bool moved_any = false;
    // Moves leading rows while the part has room for them.
    auto move_rows = [&](auto* from, auto* to) {
      int n = 0;
      while (n < from->size() && n < kRowsPerReply) {
        size_t row = from->Get(n).ByteSizeLong() + 8;  // the field's tag and length
        if (moved_any && bytes + row > kReplyPartBytes) break;
        bytes += row;
        moved_any = true;
        ++n;
      }
      for (int i = 0; i < n; ++i) to->Add(std::move(*from->Mutable(i)));
      from->DeleteSubrange(0, n);
    };
    move_rows(reply.mutable_users(), part.mutable_users());
    move_rows(reply.mutable_sessions(), part.mutable_sessions());
    move_rows(reply.mutable_bans(), part.mutable_bans());
    move_rows(reply.mutable_flows(), part.mutable_flows());
    if (!moved_any) break;  // nothing but the reply's own fields left: it goes as it is
    parts.push_back(std::move(part));
  }
  parts.push_back(std::move(reply));
  return parts;
}

size_t ControlSocket::watchers() const noexcept {
  size_t n = 0;
  for (const auto& c : clients_) n += c->watching ? 1 : 0;
  return n;
}

void ControlSocket::broadcast(const ctl::CtlReply& event) {
  std::vector<Client*> gone;
  for (auto& c : clients_)
    if (c->watching && !c->out->send(event)) gone.push_back(c.get());
  for (Client* c : gone) drop(*c);
}

}  // namespace sslvpn::mainproc
