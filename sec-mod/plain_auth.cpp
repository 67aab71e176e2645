#include "sec-mod/plain_auth.hpp"

#include <crypt.h>

#include <memory>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"

namespace sslvpn::secmod {
namespace {

// A setting used when the file has no usable hash to copy: SHA-512-crypt, default rounds.
constexpr const char* kFallbackSetting = "$6$sslvpndtimingsalt$";

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string crypt_hash(std::string_view password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  wipe_string(pw);
  std::string result = (out != nullptr && out[0] != '*') ? std::string(out) : std::string();
  secure_wipe(data.get(), sizeof(crypt_data));
  return result;
}

PlainAuthOutcome PlainAuth::check(std::string_view user, std::string_view password,
                                  std::string_view wanted) const {
  std::string text = read_file(path_).value_or("");
  auto entry = valid_user_name(user) ? find_passwd_entry(text, user) : std::nullopt;
  std::string setting = entry && !entry->hash.empty() ? entry->hash : first_hash_setting(text);
  if (setting.empty()) setting = kFallbackSetting;
  std::string computed = crypt_hash(password, setting);

  PlainAuthOutcome out;
  if (!entry) {
    out.reason = "unknown user";
    return out;
  }
  if (entry->locked) {
    out.reason = "account locked";
    return out;
  }
  if (entry->hash.empty() || computed.empty() || !constant_time_equal(computed, entry->hash)) {
    out.reason = "wrong password";
    return out;
  }
  if (wanted.empty()) {
    out.group = entry->groups.empty() ? "" : entry->groups.front();
  } else {
    bool member = false;
    for (const auto& g : entry->groups) member = member || g == wanted;
    if (!member) {
      out.reason = "not a member of group '" + std::string(wanted) + "'";
      return out;
    }
    out.group = std::string(wanted);
  }
  out.ok = true;
  return out;
}

}  // namespace sslvpn::secmod
