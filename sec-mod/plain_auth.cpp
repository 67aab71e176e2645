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
constexpr const char* kOtpField = "secondary_password";

class PlainLogin : public PasswordLogin {
 public:
  enum class Waiting { Password, Otp, Nothing };
  PlainLogin(const PlainBackend& b, std::string user, Waiting w)
      : backend_(b), user_(std::move(user)), waiting_(w) {}

  std::optional<AuthStep> answer(std::vector<Answer>& answers) override {
    Waiting w = waiting_;
    waiting_ = Waiting::Nothing;
    if (w == Waiting::Password) {
      AuthStep s = backend_.check_password(user_, answer_for(answers, "password"), &groups_);
      if (s.kind == AuthStep::Kind::Prompt) waiting_ = Waiting::Otp;
      return s;
    }
    if (w == Waiting::Otp) return backend_.check_otp(user_, answer_for(answers, kOtpField), groups_);
    return AuthStep::failure("answer without a question");
  }
  void expect_otp(std::vector<std::string> groups) {
    waiting_ = Waiting::Otp;
    groups_ = std::move(groups);
  }

 private:
  const PlainBackend& backend_;
  std::string user_;
  Waiting waiting_;
  std::vector<std::string> groups_;
};

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

namespace {
ipc::AuthForm hidden_input_form(const std::string& message, const char* name, const std::string& label) {
  ipc::AuthForm f;
  f.set_message(message);
  auto* in = f.add_fields();
  in->set_kind(ipc::FormField::PASSWORD);
  in->set_name(name);
  in->set_label(label);
  return f;
}
}  // namespace

ipc::AuthForm password_form(const std::string& message) {
  return hidden_input_form(message, "password", "Password:");
}

ipc::AuthForm otp_form() {
  return hidden_input_form("Please enter the code from your authenticator.", kOtpField, "OTP code:");
}

ipc::AuthForm answer_form(const std::string& message, const std::string& label) {
  return hidden_input_form(message, kOtpField, label);
}

PlainBackend::PlainBackend(std::string passwd_file, std::string otp_file)
    : passwd_path_(std::move(passwd_file)) {
  if (!otp_file.empty()) otp_.emplace(std::move(otp_file));
}

std::unique_ptr<PasswordLogin> PlainBackend::start(LoginStart& s, StepCallback,
                                                   std::optional<AuthStep>* first) {
  if (!s.has_password) {
    *first = AuthStep::prompt(password_form("Please enter your password."));
    return std::make_unique<PlainLogin>(*this, s.user, PlainLogin::Waiting::Password);
  }
  auto login = std::make_unique<PlainLogin>(*this, s.user, PlainLogin::Waiting::Nothing);
  std::vector<std::string> groups;
  *first = check_password(s.user, s.password, &groups);
  if ((*first)->kind == AuthStep::Kind::Prompt) login->expect_otp(std::move(groups));
  return login;
}

AuthStep PlainBackend::check_password(const std::string& user, std::string& password,
                                      std::vector<std::string>* groups) const {
  if (passwd_path_.empty()) {  // OTP-only method: the password is the code
    AuthStep s = check_otp(user, password, {});
    return s;
  }
  std::string text = read_file(passwd_path_).value_or("");
  auto entry = valid_user_name(user) ? find_passwd_entry(text, user) : std::nullopt;
  std::string setting = entry && !entry->hash.empty() ? entry->hash : first_hash_setting(text);
  if (setting.empty()) setting = kFallbackSetting;
  std::string computed = crypt_hash(password, setting);
  if (!entry) {
    wipe_string(password);
    return AuthStep::failure("unknown user");
  }
  if (entry->locked) {
    wipe_string(password);
    return AuthStep::failure("account locked");
  }
  if (entry->hash.empty() && otp_) return check_otp(user, password, entry->groups);
  wipe_string(password);
  if (entry->hash.empty() || computed.empty() || !constant_time_equal(computed, entry->hash))
    return AuthStep::failure("wrong password");
  *groups = entry->groups;
  if (otp_ && otp_->has_user(user)) return AuthStep::prompt(otp_form());
  return AuthStep::success(entry->groups);
}

AuthStep PlainBackend::check_otp(const std::string& user, std::string& code,
                                 std::vector<std::string> groups) const {
  OtpResult r = otp_ ? otp_->check(user, code) : OtpResult::Error;
  wipe_string(code);
  if (r == OtpResult::Ok) return AuthStep::success(std::move(groups));
  return AuthStep::failure(otp_result_name(r));
}

}  // namespace sslvpn::secmod
