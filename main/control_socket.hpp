// The control socket sslvpnctl talks to: a root-only Unix SOCK_SEQPACKET socket. Each
// connection may send several CtlRequests; each gets one CtlReply. Peers other than root are
// refused at accept (SO_PEERCRED).
#pragma once

#include <ev.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "ctl.pb.h"
#include "main/queued_sender.hpp"

namespace sslvpn::mainproc {

// Makes the directory a runtime file is to go in (the control socket, the pid file), mode
// 0755, when it does not exist yet: /run/sslvpnd without systemd's RuntimeDirectory=.
void make_parent_dir(const std::string& path);

// strerror(err), with a hint for a read-only file system: under the packaged unit
// (ProtectSystem=strict) only /run/sslvpnd and /var/lib/sslvpnd are writable.
std::string write_error(int err);

// One reply as messages that each fit in an IPC datagram: long lists, and rows of many bytes,
// are split over several parts (all but the last marked `more`), rows kept in order.
std::vector<ctl::CtlReply> split_ctl_reply(ctl::CtlReply reply);

class ControlSocket {
 public:
  // A reply now, or nullopt: the handler answers later with answer(token, ...) (a query main
  // forwards to another process). `token` names the asking connection.
  using Handler = std::function<std::optional<ctl::CtlReply>(const ctl::CtlRequest&, uint64_t token)>;

  // Binds `path` (replacing a stale socket), mode 0600. Throws std::runtime_error on failure.
  ControlSocket(struct ev_loop* loop, Logger& log, std::string path, Handler handler);
  ~ControlSocket();

  // Sends `event` to every client that asked to watch events. Main never waits for a client:
  // what its socket cannot take now is queued, and a client whose queue outgrows its bound
  // (a watcher that stopped reading) is dropped.
  void broadcast(const ctl::CtlReply& event);
  size_t watchers() const noexcept;
  // A deferred reply, or one part of it (`more` set on all but the last). Dropped when the
  // client left meanwhile.
  void answer(uint64_t token, ctl::CtlReply reply);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

 private:
  struct Client {
    ControlSocket* owner = nullptr;
    IpcChannel channel;
    std::optional<QueuedSender> out;  // replies wait here while the client reads slowly
    ev_io io{};
    bool watching = false;
    uint64_t token = 0;
  };
  static void accept_cb(struct ev_loop*, ev_io* w, int);
  static void client_cb(struct ev_loop*, ev_io* w, int);
  static void resume_cb(struct ev_loop*, ev_timer* w, int);
  void on_accept();
  void on_client(Client& c);
  void drop(Client& c);

  struct ev_loop* loop_;
  Logger& log_;
  std::string path_;
  Handler handler_;
  UniqueFd listen_;
  ev_io accept_io_{};
  ev_timer accept_pause_{};  // out of descriptors: accepting rests until it fires
  std::vector<std::unique_ptr<Client>> clients_;
  uint64_t next_token_ = 1;
};

}  // namespace sslvpn::mainproc
