// A tunnel::TunnelIo that records what an engine sends (TUN packets, stream frames, datagrams).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "worker/tunnel/engine.hpp"

namespace sslvpn::testing {

struct RecordingSink : tunnel::TunnelIo {
  std::vector<std::vector<uint8_t>> tun, client, dtls;
  void to_tun(std::span<const uint8_t> p) override { tun.emplace_back(p.begin(), p.end()); }
  void to_stream(std::span<const uint8_t> f) override { client.emplace_back(f.begin(), f.end()); }
  void to_datagram(std::span<const uint8_t> r) override { dtls.emplace_back(r.begin(), r.end()); }
};

}  // namespace sslvpn::testing
