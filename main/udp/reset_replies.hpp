// Replies to OpenVPN resets, counted per client session id: a reset is answered at most
// kPerSecond times a second, whatever address it comes from. A captured reset, replayed from
// many (spoofed) addresses, then costs that many replies and cannot use up main's budget of
// replies (1000 a second) that new clients need. A real client sends its reset again every
// few seconds, far under the bound. Pure: the time comes in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/keyed_hash.hpp"
#include "worker/openvpn/wire.hpp"

namespace sslvpn::mainproc::udp {

class ResetReplies {
 public:
  static constexpr uint32_t kPerSecond = 2;
  // Ids counted at once. Only resets whose wrapping checked reach here, so many distinct ids in
  // one second mean a server without tls-auth/tls-crypt (anyone can make resets): past the
  // bound, new ids are answered uncounted and the global budget alone holds.
  static constexpr size_t kMax = 65536;
  static constexpr size_t kSweepAbove = 1024;  // entries of past seconds go, once a second

  // Whether a reply to a reset with this session id may go at `now` (seconds); counts it.
  bool allow(const ovpn::SessionId& sid, uint64_t now);
  // The reply allow() counted did not go (main's global budget was spent): uncounted again.
  void refund(const ovpn::SessionId& sid, uint64_t now);
  size_t size() const { return seen_.size(); }

 private:
  struct Count {
    uint64_t second = 0;
    uint32_t replies = 0;
  };
  std::unordered_map<std::string, Count, KeyedStringHash> seen_;
  uint64_t swept_ = 0;
};

}  // namespace sslvpn::mainproc::udp
