// Which VPN session held a tunnel address at a given time. main tells the collector each time a
// tunnel comes up or goes down; a flow is matched by the address its exporter sent from (the
// endpoint inside the tunnel) or, failing that, by the flow's own addresses. Ended tunnels are
// remembered for `history` seconds so that flows reported late are still attributed. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip_addr.hpp"

namespace sslvpn::nvm {

struct Holder {
  uint64_t tunnel_id = 0;
  std::string user, group, session, protocol;
  int64_t from_ms = 0;
  int64_t until_ms = 0;  // 0: still up
};

class SessionDirectory {
 public:
  explicit SessionDirectory(double history_s = 86400, size_t max_entries = 1u << 20)
      : history_ms_(static_cast<int64_t>(history_s * 1000)), max_entries_(max_entries) {}

  // A tunnel came up with these addresses (either may be unset).
  void up(const Holder& h, const IpAddr& v4, const IpAddr& v6);
  // It went down: its addresses are no longer its own from `at_ms` on.
  void down(uint64_t tunnel_id, int64_t at_ms);
  // Every tunnel that is up is down at `at_ms` (main restarted the collector's view).
  void all_down(int64_t at_ms);
  // The holder of `a` at `at_ms`, or nullptr. A slack of a few seconds at either end covers
  // exporters whose clocks differ from ours.
  const Holder* find(const IpAddr& a, int64_t at_ms) const;
  // Forgets tunnels that ended more than `history` ago.
  void prune(int64_t now_ms);
  size_t size() const noexcept { return entries_; }
  size_t live() const noexcept { return live_.size(); }

 private:
  static std::string key(const IpAddr& a) {
    return std::string(reinterpret_cast<const char*>(a.b.data()), a.size());
  }
  int64_t history_ms_;
  size_t max_entries_;
  size_t entries_ = 0;
  std::unordered_map<std::string, std::vector<Holder>> by_addr_;  // newest last
  std::unordered_map<uint64_t, std::vector<std::string>> live_;   // tunnel id -> its address keys
};

}  // namespace sslvpn::nvm
