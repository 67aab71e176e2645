// The interface sec-mod's password methods (plain, pam, ...) implement. A login is a short
// conversation: it starts with what the first form gave, may ask further questions (a PAM
// prompt, an OTP code) as forms, and ends with the user's groups or a refusal.
//
// A step may be known at once (plain checks a hash) or later (PAM runs in a thread): start()
// and answer() return the step when they have it, or nullopt and deliver it later through the
// callback given to start(). The callback runs on sec-mod's event loop, never inside start()
// or answer(), and never after the login object is destroyed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc.pb.h"

namespace sslvpn::secmod {

struct AuthStep {
  enum class Kind { Prompt, Success, Failure };
  Kind kind = Kind::Failure;
  ipc::AuthForm form;               // Prompt: what to ask
  std::vector<std::string> groups;  // Success: the user's groups, preferred first
  ipc::UserSettings settings;       // Success: what the method assigns (RADIUS attributes)
  std::string reason;               // Failure: for the server log only
  std::string user_message;         // Failure: shown to the client; empty = "Login failed."
  bool count_failure = true;        // Failure: counts towards the 3 tries and the ban score
  bool busy = false;                // Failure: the method could not start (too many at once)

  static AuthStep prompt(ipc::AuthForm f) {
    AuthStep s;
    s.kind = Kind::Prompt;
    s.form = std::move(f);
    return s;
  }
  static AuthStep success(std::vector<std::string> groups) {
    AuthStep s;
    s.kind = Kind::Success;
    s.groups = std::move(groups);
    return s;
  }
  static AuthStep failure(std::string reason, std::string user_message = {}) {
    AuthStep s;
    s.kind = Kind::Failure;
    s.reason = std::move(reason);
    s.user_message = std::move(user_message);
    return s;
  }
};

// What a login starts from. The password is wiped by the backend once used.
struct LoginStart {
  std::string user;
  std::string password;
  bool has_password = false;  // false: ask for it (certificate + password logins)
  std::string client_ip;
};

// One form answer; values are secrets and are wiped by whoever holds them last.
struct Answer {
  std::string name;
  std::string value;
};

using StepCallback = std::function<void(AuthStep)>;

class PasswordLogin {
 public:
  virtual ~PasswordLogin() = default;
  // Answers to the last Prompt; the backend wipes the values.
  virtual std::optional<AuthStep> answer(std::vector<Answer>& answers) = 0;
};

class PasswordBackend {
 public:
  virtual ~PasswordBackend() = default;
  // Starts a login. `first` is set to the first step when it is known at once.
  virtual std::unique_ptr<PasswordLogin> start(LoginStart& s, StepCallback later,
                                               std::optional<AuthStep>* first) = 0;
};

// The value the client gave for `name`; openconnect answers some inputs as <password>, so that
// and then the only answer are accepted too. Empty if there is none.
std::string& answer_for(std::vector<Answer>& answers, const std::string& name);

}  // namespace sslvpn::secmod
