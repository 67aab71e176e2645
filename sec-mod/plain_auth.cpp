#include "sec-mod/plain_auth.hpp"

#include <crypt.h>

#include <memory>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "sec-mod/sha512_crypt.hpp"

namespace sslvpn::secmod {
namespace {

// A setting used when the file has no usable hash to copy: SHA-512-crypt, default rounds.
constexpr const char* kFallbackSetting = "$6$sslvpndtimingsalt$";
constexpr const char* kOtpField = "secondary_password";

class PlainLogin : public PasswordLogin {
 public:
  enum class Waiting { Password, Otp, Nothing };
  PlainLogin(const PlainBackend& b, std::string user, Waiting w, StepCallback later)
      : backend_(b), user_(std::move(user)), waiting_(w), later_(std::move(later)) {}

  std::optional<AuthStep> answer(std::vector<Answer>& answers) override {
    Waiting w = waiting_;
    waiting_ = Waiting::Nothing;
    if (w == Waiting::Password) return check(answer_for(answers, "password"));
    if (w == Waiting::Otp) return backend_.check_otp(user_, answer_for(answers, kOtpField), groups_);
    return AuthStep::failure("answer without a question");
  }

  // The password: at once without a pool, else later from the pool's Hash lane (nullopt).
  std::optional<AuthStep> check(std::string& password) {
    if (backend_.pool() == nullptr) return settle(backend_.check_password(user_, password, &groups_));
    auto c = backend_.prepare(user_);
    if (c.otp_only) return settle(backend_.verdict(user_, c, false, password, &groups_));  // a code
    auto job = std::make_shared<Job>();
    job->check = std::move(c);
    job->password.assign(password);  // a copy, then the original wiped in place
    wipe_string(password);
    std::weak_ptr<bool> alive = alive_;
    bool queued = backend_.pool()->submit(
        CryptoPool::Lane::Hash,
        // The password stays with the job until the verdict (which wipes it): an OTP-only
        // user's "password" is the code, checked on the loop after the hash was made anyway.
        [job](size_t) { job->matches = PlainBackend::hash_matches(job->check, job->password); },
        [this, job, alive] {
          if (alive.expired()) return;  // the login ended meanwhile
          AuthStep step = *settle(backend_.verdict(user_, job->check, job->matches, job->password, &groups_));
          StepCallback cb = later_;  // the step may end this login (and its later_) while it runs
          cb(std::move(step));
        });
    if (queued) return std::nullopt;
    wipe_string(job->password);
    AuthStep busy =
        AuthStep::failure("password checks queued to the limit", "The server is busy; please try again.");
    busy.count_failure = false;
    return busy;
  }

 private:
  struct Job {
    PlainBackend::PasswordCheck check;
    std::string password;
    bool matches = false;
    Job() = default;
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    ~Job() { wipe_string(password); }  // also when the login ended before the verdict
  };
  std::optional<AuthStep> settle(AuthStep s) {
    if (s.kind == AuthStep::Kind::Prompt) waiting_ = Waiting::Otp;
    return s;
  }

  const PlainBackend& backend_;
  std::string user_;
  Waiting waiting_;
  StepCallback later_;
  std::vector<std::string> groups_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string crypt_hash(std::string_view password, const std::string& setting) {
  // SHA-512-crypt, the usual hash, on OpenSSL's faster SHA-512 (sec-mod/sha512_crypt.hpp).
  if (setting.starts_with("$6$") && sha512_crypt_agrees_with_libxcrypt())
    if (auto fast = sha512_crypt(password, setting)) return std::move(*fast);
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

PlainBackend::PlainBackend(std::string passwd_file, std::string otp_file, CryptoPool* pool)
    : pool_(pool), passwd_path_(std::move(passwd_file)) {
  if (!otp_file.empty()) otp_.emplace(std::move(otp_file));
}

std::unique_ptr<PasswordLogin> PlainBackend::start(LoginStart& s, StepCallback later,
                                                   std::optional<AuthStep>* first) {
  if (!s.has_password) {
    *first = AuthStep::prompt(password_form("Please enter your password."));
    return std::make_unique<PlainLogin>(*this, s.user, PlainLogin::Waiting::Password, std::move(later));
  }
  auto login = std::make_unique<PlainLogin>(*this, s.user, PlainLogin::Waiting::Nothing, std::move(later));
  *first = login->check(s.password);
  return login;
}

PlainBackend::PasswordCheck PlainBackend::prepare(const std::string& user) const {
  PasswordCheck c;
  if (passwd_path_.empty()) {  // OTP-only method: the password is the code
    c.otp_only = true;
    return c;
  }
  std::string text = read_file(passwd_path_).value_or("");
  c.entry = valid_user_name(user) ? find_passwd_entry(text, user) : std::nullopt;
  // An unknown user is hashed too, with a setting of the same cost: no timing tells them apart.
  c.setting = c.entry && !c.entry->hash.empty() ? c.entry->hash : first_hash_setting(text);
  if (c.setting.empty()) c.setting = kFallbackSetting;
  return c;
}

bool PlainBackend::hash_matches(const PasswordCheck& c, std::string_view password) {
  std::string computed = crypt_hash(password, c.setting);
  bool ok =
      c.entry && !c.entry->hash.empty() && !computed.empty() && constant_time_equal(computed, c.entry->hash);
  wipe_string(computed);
  return ok;
}

AuthStep PlainBackend::verdict(const std::string& user, const PasswordCheck& c, bool matches,
                               std::string& password, std::vector<std::string>* groups) const {
  if (c.otp_only) return check_otp(user, password, {});
  if (!c.entry) {
    wipe_string(password);
    return AuthStep::failure("unknown user");
  }
  if (c.entry->locked) {
    wipe_string(password);
    return AuthStep::failure("account locked");
  }
  if (c.entry->hash.empty() && otp_) return check_otp(user, password, c.entry->groups);
  wipe_string(password);
  if (!matches) return AuthStep::failure("wrong password");
  *groups = c.entry->groups;
  if (otp_ && otp_->has_user(user)) return AuthStep::prompt(otp_form());
  return AuthStep::success(c.entry->groups);
}

AuthStep PlainBackend::check_password(const std::string& user, std::string& password,
                                      std::vector<std::string>* groups) const {
  PasswordCheck c = prepare(user);
  bool matches = !c.otp_only && hash_matches(c, password);
  return verdict(user, c, matches, password, groups);
}

AuthStep PlainBackend::check_otp(const std::string& user, std::string& code,
                                 std::vector<std::string> groups) const {
  OtpResult r = otp_ ? otp_->check(user, code) : OtpResult::Error;
  wipe_string(code);
  if (r == OtpResult::Ok) return AuthStep::success(std::move(groups));
  return AuthStep::failure(otp_result_name(r));
}

}  // namespace sslvpn::secmod
