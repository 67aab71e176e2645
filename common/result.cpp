#include "common/result.hpp"

namespace sslvpn {

const char* errc_name(Errc e) noexcept {
  switch (e) {
    case Errc::Truncated:
      return "truncated";
    case Errc::Malformed:
      return "malformed";
    case Errc::Limit:
      return "limit exceeded";
    case Errc::BadLength:
      return "bad length";
    case Errc::UnknownType:
      return "unknown type";
    case Errc::State:
      return "not allowed in this state";
    case Errc::Io:
      return "I/O error";
    case Errc::Closed:
      return "closed";
    case Errc::Timeout:
      return "timeout";
    case Errc::Crypto:
      return "crypto error";
    case Errc::NotFound:
      return "not found";
    case Errc::Denied:
      return "denied";
  }
  return "unknown";
}

}  // namespace sslvpn
