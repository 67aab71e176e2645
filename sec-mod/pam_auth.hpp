// auth = "pam[service=NAME,gid-min=N]": logins through a PAM stack, so anything PAM can do
// (pam_unix, pam_sss, pam_oath, pam_google_authenticator, ...) works.
//
// Each login runs its PAM transaction in its own thread, so a slow module (a network directory,
// a push second factor) stalls nobody else. The conversation maps to forms: the first hidden
// prompt takes the password of the first form; every further prompt becomes one form (hidden
// for PAM_PROMPT_ECHO_OFF, echoed for ECHO_ON) with the PAM info and error texts shown above it.
// The thread waits for the answer at most auth-timeout. After pam_authenticate, pam_acct_mgmt
// refuses expired or locked accounts with a clear message. The groups are the user's system
// groups (getgrouplist) with a gid of at least gid-min.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sec-mod/threaded_login.hpp"

namespace sslvpn::secmod {

struct PamParams {
  std::string service = "sslvpnd";
  uint32_t gid_min = 0;
};

// At most this many PAM transactions at once; more logins are asked to try again later.
inline constexpr size_t kMaxPamLogins = 64;

class PamBackend : public ThreadedBackend {
 public:
  PamBackend(struct ev_loop* loop, PamParams p, uint32_t answer_timeout_s)
      : ThreadedBackend(loop, kMaxPamLogins, answer_timeout_s), params_(std::move(p)) {}

 protected:
  LoginJob job() const override;

 private:
  PamParams params_;
};

// acct = pam[service=NAME] (ocserv's PAM accounting): the stack's account checks
// (pam_acct_mgmt: expired or locked accounts, pam_access, pam_time, ...) for every new session,
// whatever method logged it in (a password file, a certificate, RADIUS, a login token). Run
// as a login of its own in a thread, like PAM logins: it shows no form; Success or Failure.
class PamAccountBackend : public ThreadedBackend {
 public:
  PamAccountBackend(struct ev_loop* loop, std::string service, uint32_t answer_timeout_s)
      : ThreadedBackend(loop, kMaxPamLogins, answer_timeout_s), service_(std::move(service)) {}

 protected:
  LoginJob job() const override;

 private:
  std::string service_;
};

// The user's groups with gid >= gid_min, primary group first (thread-safe).
std::vector<std::string> unix_groups(const std::string& user, uint32_t gid_min);

}  // namespace sslvpn::secmod
