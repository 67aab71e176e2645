// A token bucket: at most `per_second` events a second on average, `burst` at once. Pure: the
// time (seconds, any monotonic origin) comes in.
#pragma once

#include <algorithm>

namespace sslvpn {

class RateBucket {
 public:
  constexpr RateBucket(double per_second, double burst) noexcept
      : rate_(per_second), burst_(burst), tokens_(burst) {}

  // Takes a token if one is there.
  bool take(double now) noexcept {
    if (now > at_) tokens_ = std::min(burst_, tokens_ + (now - at_) * rate_);
    at_ = std::max(at_, now);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  double at_ = 0;
};

}  // namespace sslvpn
