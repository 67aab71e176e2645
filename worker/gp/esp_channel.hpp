// GlobalProtect's ESP path as the tunnel loop's datagram channel: a UDP socket main connected
// to the client (main routes by SPI; worker/tunnel handles the socket hand-over) and the
// inbound SA, shared by every path of the tunnel so that one replay window covers them all.
// A path is opened only by a datagram that authenticates and is not a replay: a spoofed or
// replayed packet from another address never moves the tunnel (NAT rebinding is a new path).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "worker/gp/esp.hpp"
#include "worker/tunnel/engine.hpp"
#include "worker/tunnel/udp_batch.hpp"

namespace sslvpn::gp {

class EspChannel final : public tunnel::DatagramChannel {
 public:
  EspChannel(UniqueFd udp, std::shared_ptr<EspSa> in, std::string first_payload, std::string description);

  int fd() const override { return udp_.get(); }
  bool established() const override { return true; }
  Result<bool> handshake() override { return true; }
  // The next packet that authenticates (and is IPv4 or IPv6); Errc::Timeout when none is queued.
  Result<size_t> recv(std::span<uint8_t> buf) override;
  bool send(std::span<const uint8_t> datagram) override;
  void flush() override;
  size_t pending() const override { return first_.empty() ? 0 : 1; }
  // A datagram from a new port (NAT rebinding, or the client's new socket when it probes
  // again): its payload if it authenticates and is newer than any seen (as EspFactory::open
  // asks of a first path); Errc::Denied otherwise. Once one passed, what the tunnel sends is
  // held (a few datagrams, at most kHoldFor) for the socket main makes for that port: the
  // three probes a client sends from a new socket want their answers there, or it stays on
  // HTTPS until it probes again.
  Result<size_t> check_new_path(std::string first, std::span<uint8_t> buf) override;
  void move_to(UniqueFd udp) override;
  void stay() override;
  tunnel::Clock::time_point deadline() const override;
  static constexpr auto kHoldFor = std::chrono::milliseconds(500);
  static constexpr size_t kMaxHeld = 16;
  std::string description() const override { return description_; }
  uint64_t rejected() const noexcept { return rejected_; }

 private:
  void release_held();

  UniqueFd udp_;
  std::optional<std::chrono::steady_clock::time_point> holding_since_;  // a new path passed
  std::vector<std::string> held_;                                       // datagrams for it meanwhile
  std::shared_ptr<EspSa> in_;
  std::string first_;  // the payload of the datagram that opened the path, delivered first
  std::string description_;
  worker::UdpBatch batch_;
  uint64_t rejected_ = 0;
  uint8_t scratch_[16384 + 512];
};

class EspFactory final : public tunnel::DatagramFactory {
 public:
  EspFactory(std::unique_ptr<EspSa> in, std::string description)
      : in_(std::move(in)), description_(std::move(description)) {}
  const char* name() const override { return "ESP"; }
  Result<std::unique_ptr<tunnel::DatagramChannel>> open(UniqueFd udp, std::string first,
                                                        std::string* error) override;

 private:
  std::shared_ptr<EspSa> in_;
  std::string description_;
};

}  // namespace sslvpn::gp
