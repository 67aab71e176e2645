// OpenVPN's packet transports as the tunnel loop's StreamTransport: one record = one OpenVPN
// packet. UDP: a socket main connected to the client (one datagram per packet). TCP: the
// client's connection with openvpn's 2-byte big-endian length before each packet.
#pragma once

#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "worker/tunnel/engine.hpp"
#include "worker/tunnel/udp_batch.hpp"

namespace sslvpn::ovpn {

// The largest packet either transport takes: a 9000-byte MTU and every header fit.
inline constexpr size_t kMaxPacket = 16384;

// Datagrams queued during a wake-up leave together at flush(): runs of equal size as one
// sendmsg() with UDP GSO (worker/tunnel/udp_batch.hpp), as DTLS's do.
class UdpPacketTransport final : public tunnel::StreamTransport {
 public:
  // Owns the client's socket: when the client moves, the old one is closed, or it would keep
  // taking the datagrams of its old address (a connected socket wins the kernel's lookup) and a
  // client that came back there would be heard by nobody.
  explicit UdpPacketTransport(UniqueFd fd) : owned_(std::move(fd)), fd_(owned_.get()) {}
  int fd() const override { return fd_; }
  Result<size_t> recv_nonblocking(std::span<uint8_t> buf) override;
  size_t pending() const override { return 0; }
  Result<void> queue_record(std::span<const uint8_t> data) override;
  Result<bool> flush() override {
    batch_.flush(fd_);
    return true;
  }
  bool has_room() const override { return true; }
  bool backlogged() const override { return false; }
  std::string description() const override { return label_; }
  // What sslvpnctl shows for the session ("OpenVPN UDP, AES-256-GCM, TLS1.3-...").
  void set_label(std::string l) { label_ = std::move(l); }
  void close() override {}
  bool replace_socket(UniqueFd fd) override {
    owned_ = std::move(fd);
    fd_ = owned_.get();
    return true;
  }
  uint64_t send_drops() const { return send_drops_; }

 private:
  UniqueFd owned_;  // connected to the client's address (main made a new one when it moved)
  int fd_;
  worker::UdpBatch batch_;
  std::string label_ = "UDP";
  uint64_t send_drops_ = 0;
};

class TcpPacketTransport final : public tunnel::StreamTransport {
 public:
  explicit TcpPacketTransport(int fd) : fd_(fd) {}
  int fd() const override { return fd_; }
  // Malformed: a length over kMaxPacket or zero (the client's framing is broken).
  Result<size_t> recv_nonblocking(std::span<uint8_t> buf) override;
  size_t pending() const override;
  Result<void> queue_record(std::span<const uint8_t> data) override;
  Result<bool> flush() override;
  bool has_room() const override { return out_.size() - out_pos_ < kSoftLimit; }
  bool backlogged() const override { return out_.size() - out_pos_ >= kHardLimit; }
  std::string description() const override { return label_; }
  void set_label(std::string l) { label_ = std::move(l); }
  void close() override;

 private:
  static constexpr size_t kSoftLimit = 64 * 1024;
  static constexpr size_t kHardLimit = 1024 * 1024;
  // A whole frame at the start of in_: its length, or 0.
  size_t whole_frame() const;
  int fd_;
  std::string label_ = "TCP";
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  std::vector<uint8_t> out_;
  size_t out_pos_ = 0;
  bool eof_ = false;
};

}  // namespace sslvpn::ovpn
