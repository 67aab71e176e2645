// auth = "plain[passwd=FILE,otp=FILE]": an ocpasswd-format password file with crypt(3) hashes,
// and optionally a liboath users file for a one-time code asked in a second form. A user whose
// hash is empty, or every user when there is no passwd file, logs in with the code alone (typed
// as the password). Users without an OTP entry log in with their password alone. Both files are
// read at each login, so edits with sslvpnd-passwd or oathtool apply without a reload.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/passwd_file.hpp"
#include "sec-mod/auth_backend.hpp"
#include "sec-mod/crypto_pool.hpp"
#include "sec-mod/otp_file.hpp"

namespace sslvpn::secmod {

// With a CryptoPool, the password hash runs on a pool thread (its Hash lane) and the step comes
// later through the login's callback; the file is read and the verdict given on the loop.
class PlainBackend : public PasswordBackend {
 public:
  PlainBackend(std::string passwd_file, std::string otp_file, CryptoPool* pool = nullptr);

  std::unique_ptr<PasswordLogin> start(LoginStart& s, StepCallback later,
                                       std::optional<AuthStep>* first) override;

  // The password step, all on the calling thread (also used by the privsep unit tests).
  AuthStep check_password(const std::string& user, std::string& password,
                          std::vector<std::string>* groups) const;
  AuthStep check_otp(const std::string& user, std::string& code, std::vector<std::string> groups) const;

  // The password step in three parts: what the file says (loop), the hash (any thread), the
  // verdict (loop). check_password is the three in a row.
  struct PasswordCheck {
    std::optional<PasswdEntry> entry;
    std::string setting;    // crypt(3) setting to hash with (the entry's, or one of the same cost)
    bool otp_only = false;  // no passwd file: the password is the code
  };
  PasswordCheck prepare(const std::string& user) const;
  static bool hash_matches(const PasswordCheck& c, std::string_view password);
  AuthStep verdict(const std::string& user, const PasswordCheck& c, bool matches, std::string& password,
                   std::vector<std::string>* groups) const;
  CryptoPool* pool() const noexcept { return pool_; }

 private:
  CryptoPool* pool_;
  std::string passwd_path_;
  std::optional<OtpFile> otp_;
};

// Hashes `password` with crypt(3) `setting`; empty on failure. Exposed for unit tests.
std::string crypt_hash(std::string_view password, const std::string& setting);
// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// The form that asks for a password (certificate + password logins), for an OTP code, and for
// any further hidden answer (a RADIUS challenge): one hidden input each.
ipc::AuthForm password_form(const std::string& message);
ipc::AuthForm otp_form();
ipc::AuthForm answer_form(const std::string& message, const std::string& label);

}  // namespace sslvpn::secmod
