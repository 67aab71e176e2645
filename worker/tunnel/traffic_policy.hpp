// Per-session traffic rules the worker enforces (I/O-free):
//   - rx-data-per-sec / tx-data-per-sec: a byte budget per second. The shell charges what it
//     moves and stops reading (the client's TLS socket, or the TUN device) while the budget is
//     in debt, so TCP inside the tunnel slows down by back-pressure rather than by drops.
//   - restrict-user-to-routes: packets from the client to a destination outside its allowed
//     networks are dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_addr.hpp"
#include "common/port_filter.hpp"

namespace sslvpn::tunnel {

class ByteBudget {
 public:
  using Clock = std::chrono::steady_clock;
  ByteBudget() = default;  // unlimited
  ByteBudget(uint64_t bytes_per_s, Clock::time_point now);

  bool limited() const noexcept { return rate_ != 0; }
  // Spends `bytes` (the balance may go negative: one packet is never split).
  void charge(size_t bytes, Clock::time_point now);
  // Whether the balance is not in debt.
  bool ready(Clock::time_point now);
  // When the balance is out of debt (now if it is).
  Clock::time_point ready_at(Clock::time_point now) const;

 private:
  void refill(Clock::time_point now);

  uint64_t rate_ = 0;
  double balance_ = 0;
  double burst_ = 0;
  Clock::time_point last_{};
};

// Whether the packet comes from the client's own address (IPv4) or from inside its IPv6
// network: anything else is spoofed, or a family the client was not given.
bool source_allowed(std::span<const uint8_t> packet, const std::optional<IpAddr>& ipv4,
                    const std::optional<IpNet>& ipv6);

// Whether the IPv4/IPv6 packet's destination is inside one of `allowed` (empty: any).
bool destination_allowed(std::span<const uint8_t> packet, const std::vector<IpNet>& allowed);

// restrict-user-to-ports: whether the packet's protocol and destination port pass the filter
// (empty: any). A fragment after the first carries no port and passes: without its first
// fragment, which is checked, nothing can reassemble it.
bool ports_allowed(std::span<const uint8_t> packet, const PortFilter& filter);
// The filter main sent (already validated); one that does not parse lets nothing through.
PortFilter port_filter_from(const std::string& text);

}  // namespace sslvpn::tunnel
