// One-time passwords from a liboath users file (the format of pam_oath and ocserv's otp=FILE):
//   TYPE USER PIN HEXSECRET [COUNTER [LASTOTP [TIME]]]
// TYPE is HOTP (RFC 4226), HOTP/T30 (RFC 6238 TOTP, 30 s steps), optionally /6 /7 /8 digits.
// liboath checks the code, refuses a code used before, and writes the new counter back to the
// file (under its lock), so a code works once even across sec-mod restarts.
#pragma once

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>

namespace sslvpn::secmod {

enum class OtpResult { Ok, Invalid, Replayed, UnknownUser, Error };

const char* otp_result_name(OtpResult r);

class OtpFile {
 public:
  explicit OtpFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const noexcept { return path_; }
  // Whether the file has an entry for `user` (read at each call: edits apply at once).
  bool has_user(std::string_view user) const;
  // Checks `code` for `user` and, when it is good, records it as used.
  OtpResult check(std::string_view user, std::string_view code) const;

 private:
  std::string path_;
};

// Codes by the RFCs' arithmetic (liboath), for the test vectors and tools. Empty on bad input.
std::string hotp_code(std::span<const uint8_t> secret, uint64_t counter, unsigned digits);
std::string totp_code(std::span<const uint8_t> secret, time_t now, unsigned step_s, unsigned digits);

}  // namespace sslvpn::secmod
