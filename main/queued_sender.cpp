#include "main/queued_sender.hpp"

#include <fcntl.h>

namespace sslvpn::mainproc {

QueuedSender::~QueuedSender() {
  if (watching_) ev_io_stop(loop_, &io_);
}

bool QueuedSender::enqueue(std::string bytes, int pass_fd) {
  if (broken_) return false;
  if (q_.empty()) {
    auto r = ch_.send_datagram(bytes, pass_fd, true);
    if (r.ok()) return true;
    if (r.error() != Errc::Timeout) {
      broken_ = true;
      return false;
    }
  }
  Item it{std::move(bytes), {}};
  if (pass_fd >= 0) it.fd = UniqueFd(::fcntl(pass_fd, F_DUPFD_CLOEXEC, 0));
  if (bytes_ + it.bytes.size() > max_bytes_ || (pass_fd >= 0 && !it.fd.valid())) {
    broken_ = true;  // a message is lost: nothing after it may go out of order
    return false;
  }
  bytes_ += it.bytes.size();
  q_.push_back(std::move(it));
  if (!watching_) {
    ev_io_init(&io_, &QueuedSender::writable_cb, ch_.raw_fd(), EV_WRITE);
    io_.data = this;
    ev_io_start(loop_, &io_);
    watching_ = true;
  }
  return true;
}

void QueuedSender::reset() {
  if (watching_) ev_io_stop(loop_, &io_);
  watching_ = false;
  q_.clear();
  bytes_ = 0;
  broken_ = false;
}

void QueuedSender::writable_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<QueuedSender*>(w->data)->flush();
}

void QueuedSender::flush() {
  while (!q_.empty()) {
    Item& it = q_.front();
    auto r = ch_.send_datagram(it.bytes, it.fd.valid() ? it.fd.get() : -1, true);
    if (!r.ok()) {
      if (r.error() == Errc::Timeout) return;  // still full: wait for the next writable
      broken_ = true;
      q_.clear();
      bytes_ = 0;
      break;
    }
    bytes_ -= it.bytes.size();
    q_.pop_front();
  }
  ev_io_stop(loop_, &io_);
  watching_ = false;
}

}  // namespace sslvpn::mainproc
