// Main's sends to sec-mod never block: a message the socket cannot take now waits in a queue
// (with its descriptor) and goes out when the socket is writable. Main must never block on
// sec-mod, which may be busy with logins and is itself sending to main: two full socket
// buffers and two blocking senders would be a deadlock.
#pragma once

#include <ev.h>

#include <deque>
#include <string>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"

namespace sslvpn::mainproc {

// Messages that may wait at most; beyond it sec-mod is considered stuck and sends fail.
inline constexpr size_t kMaxQueuedToSecMod = 200000;

class QueuedSender {
 public:
  QueuedSender(struct ev_loop* loop, IpcChannel& channel) : loop_(loop), ch_(channel) {}
  ~QueuedSender();
  QueuedSender(const QueuedSender&) = delete;
  QueuedSender& operator=(const QueuedSender&) = delete;

  // Sends or queues; false only when the channel is broken or the queue is full. `pass_fd` is
  // duplicated when queued, so the caller may close its copy.
  template <IpcEnvelope M>
  bool send(const M& msg, int pass_fd = -1) {
    auto bytes = serialize(msg);
    return bytes.ok() && enqueue(std::move(bytes).value(), pass_fd);
  }
  size_t queued() const noexcept { return q_.size(); }

 private:
  struct Item {
    std::string bytes;
    UniqueFd fd;
  };
  bool enqueue(std::string bytes, int pass_fd);
  static void writable_cb(struct ev_loop*, ev_io* w, int);
  void flush();

  struct ev_loop* loop_;
  IpcChannel& ch_;
  std::deque<Item> q_;
  ev_io io_{};
  bool watching_ = false;
  bool broken_ = false;
};

}  // namespace sslvpn::mainproc
