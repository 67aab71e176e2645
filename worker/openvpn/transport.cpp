#include "worker/openvpn/transport.hpp"

#include "worker/tunnel/send_buffer.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::ovpn {

Result<size_t> UdpPacketTransport::recv_nonblocking(std::span<uint8_t> buf) {
  for (int i = 0; i < 16; ++i) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n > 0 && static_cast<size_t>(n) <= buf.size()) return static_cast<size_t>(n);
    if (n >= 0) continue;                                   // empty or truncated: not ours
    if (errno == EINTR || errno == ECONNREFUSED) continue;  // an ICMP error from an earlier send
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Errc::Timeout;
    return Errc::Io;
  }
  return Errc::Timeout;
}

Result<void> UdpPacketTransport::queue_record(std::span<const uint8_t> data) {
  // UDP: what the socket cannot take is lost, as on the network.
  if (batch_.add(data)) return {};
  batch_.flush(fd_);
  if (!batch_.add(data)) ++send_drops_;  // larger than a whole batch: not a packet of ours
  return {};
}

size_t TcpPacketTransport::whole_frame() const {
  size_t have = in_.size() - in_pos_;
  if (have < 2) return 0;
  size_t len = size_t{in_[in_pos_]} << 8 | in_[in_pos_ + 1];
  return have >= 2 + len ? len : 0;
}

size_t TcpPacketTransport::pending() const {
  return whole_frame();
}

Result<size_t> TcpPacketTransport::recv_nonblocking(std::span<uint8_t> buf) {
  for (;;) {
    if (in_.size() - in_pos_ >= 2) {
      size_t len = size_t{in_[in_pos_]} << 8 | in_[in_pos_ + 1];
      if (len == 0 || len > kMaxPacket || len > buf.size()) return Errc::Malformed;
      if (in_.size() - in_pos_ >= 2 + len) {
        std::memcpy(buf.data(), in_.data() + in_pos_ + 2, len);
        in_pos_ += 2 + len;
        if (in_pos_ == in_.size()) {
          in_.clear();
          in_pos_ = 0;
        }
        return len;
      }
    }
    if (eof_) return Errc::Closed;
    if (in_pos_ > 0) {
      in_.erase(in_.begin(), in_.begin() + static_cast<long>(in_pos_));
      in_pos_ = 0;
    }
    size_t at = in_.size();
    in_.resize(at + 32768);
    ssize_t n = ::recv(fd_, in_.data() + at, 32768, MSG_DONTWAIT);
    in_.resize(at + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n == 0) {
      eof_ = true;
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Errc::Timeout;
      return Errc::Closed;
    }
  }
}

Result<void> TcpPacketTransport::queue_record(std::span<const uint8_t> data) {
  if (data.size() > 0xffff) return Errc::Limit;
  out_.push_back(static_cast<uint8_t>(data.size() >> 8));
  out_.push_back(static_cast<uint8_t>(data.size()));
  out_.insert(out_.end(), data.begin(), data.end());
  return {};
}

Result<bool> TcpPacketTransport::flush() {
  return tunnel::send_buffered(fd_, out_, out_pos_);
}

void TcpPacketTransport::close() {
  (void)flush();
  (void)::shutdown(fd_, SHUT_RDWR);
}

}  // namespace sslvpn::ovpn
