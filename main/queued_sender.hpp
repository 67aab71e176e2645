// Main's sends to its children never block: a message the socket cannot take now waits in a
// queue (with its descriptor) and goes out when the socket is writable. Main must never block
// on sec-mod, which may be busy with logins and is itself sending to main (two full socket
// buffers and two blocking senders would be a deadlock), nor on a worker, which may be
// compromised and simply stop reading: every other user would wait with it.
#pragma once

#include <ev.h>

#include <deque>
#include <string>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"

namespace sslvpn::mainproc {

// Bytes that may wait at most, beyond what the kernel's socket buffer holds; past it the peer
// is considered stuck and sends fail. sec-mod serves every login: a burst of thousands of
// logins may queue a few MB. A worker reads main's channel at once unless it is stuck or
// hostile; main kills it past its bound.
inline constexpr size_t kMaxQueuedToSecMod = 64u << 20;
inline constexpr size_t kMaxQueuedToWorker = 128u << 10;
// Spawn requests waiting for the zygote (a few dozen bytes each, with a descriptor): a burst of
// thousands of connections fits.
inline constexpr size_t kMaxQueuedToZygote = 1u << 20;
// Tunnel ups and downs and queries for the NVM collector: a storm of connects fits.
inline constexpr size_t kMaxQueuedToCollector = 16u << 20;

class QueuedSender {
 public:
  QueuedSender(struct ev_loop* loop, IpcChannel& channel, size_t max_bytes)
      : loop_(loop), ch_(channel), max_bytes_(max_bytes) {}
  ~QueuedSender();
  QueuedSender(const QueuedSender&) = delete;
  QueuedSender& operator=(const QueuedSender&) = delete;

  // Sends or queues; false only when the channel is broken or the queue is full (then it
  // stays broken: the peer missed a message). `pass_fd` is duplicated when queued, so the
  // caller may close its copy.
  template <IpcEnvelope M>
  bool send(const M& msg, int pass_fd = -1) {
    auto bytes = serialize(msg);
    return bytes.ok() && enqueue(std::move(bytes).value(), pass_fd);
  }
  size_t queued() const noexcept { return q_.size(); }
  // Forgets the queue and the broken state (the channel was replaced or closed).
  void reset();
  size_t queued_bytes() const noexcept { return bytes_; }

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
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Item> q_;
  ev_io io_{};
  bool watching_ = false;
  bool broken_ = false;
};

}  // namespace sslvpn::mainproc
