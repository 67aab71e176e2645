#include "sec-mod/otp_file.hpp"

#include <liboath/oath.h>

#include <mutex>

#include "common/text.hpp"

namespace sslvpn::secmod {
namespace {

// Codes around the expected one that are accepted: HOTP counters ahead, TOTP steps either side
// (pam_oath's default).
constexpr size_t kOtpWindow = 5;

void oath_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { (void)oath_init(); });
}

bool plausible_code(std::string_view code) {
  if (code.size() < 6 || code.size() > 8) return false;
  for (char c : code)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

const char* otp_result_name(OtpResult r) {
  switch (r) {
    case OtpResult::Ok:
      return "ok";
    case OtpResult::Invalid:
      return "wrong OTP code";
    case OtpResult::Replayed:
      return "OTP code used before";
    case OtpResult::UnknownUser:
      return "no OTP entry";
    case OtpResult::Error:
      return "OTP file error";
  }
  return "?";
}

bool OtpFile::has_user(std::string_view user) const {
  std::string text = read_file(path_).value_or("");
  std::string_view rest = text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    auto sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string_view after = trim(line.substr(sp));
    auto end = after.find_first_of(" \t");
    if (after.substr(0, end) == user) return true;
  }
  return false;
}

OtpResult OtpFile::check(std::string_view user, std::string_view code) const {
  if (!plausible_code(code)) return OtpResult::Invalid;
  oath_once();
  std::string u(user), c(code);
  time_t last = 0;
  // No PIN: the password is checked by the passwd file, not by the OTP file.
  int r = oath_authenticate_usersfile(path_.c_str(), u.c_str(), c.c_str(), kOtpWindow, nullptr, &last);
  switch (r) {
    case OATH_OK:
      return OtpResult::Ok;
    case OATH_REPLAYED_OTP:
      return OtpResult::Replayed;
    case OATH_INVALID_OTP:
    case OATH_BAD_PASSWORD:
      return OtpResult::Invalid;
    case OATH_UNKNOWN_USER:
      return OtpResult::UnknownUser;
    default:
      return OtpResult::Error;
  }
}

std::string hotp_code(std::span<const uint8_t> secret, uint64_t counter, unsigned digits) {
  oath_once();
  char out[16] = {};
  if (digits < 6 || digits > 8) return {};
  int r = oath_hotp_generate(reinterpret_cast<const char*>(secret.data()), secret.size(), counter, digits,
                             false, OATH_HOTP_DYNAMIC_TRUNCATION, out);
  return r == OATH_OK ? std::string(out) : std::string();
}

std::string totp_code(std::span<const uint8_t> secret, time_t now, unsigned step_s, unsigned digits) {
  oath_once();
  char out[16] = {};
  if (digits < 6 || digits > 8 || step_s == 0) return {};
  int r = oath_totp_generate(reinterpret_cast<const char*>(secret.data()), secret.size(), now, step_s, 0,
                             digits, out);
  return r == OATH_OK ? std::string(out) : std::string();
}

}  // namespace sslvpn::secmod
