#include "sec-mod/pam_auth.hpp"

#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/secret_bytes.hpp"

namespace sslvpn::secmod {

namespace {

struct ConvState {
  LoginConversation* conv;
  std::string initial_password;
  bool has_initial = false;
  std::string info;             // PAM_TEXT_INFO / PAM_ERROR_MSG text not shown yet
  bool password_given = false;  // a hidden answer went to PAM already
};

// Asks the client one question and waits for the answer.
std::optional<std::string> ask(ConvState& st, bool secret, const char* label) {
  ipc::AuthForm form;
  form.set_message(st.info.empty() ? "Please answer:" : st.info);
  st.info.clear();
  auto* f = form.add_fields();
  f->set_kind(secret ? ipc::FormField::PASSWORD : ipc::FormField::TEXT);
  // A hidden prompt that replaces the first form's password keeps the name "password", so
  // clients that fill that field from saved input (openconnect --passwd-on-stdin) do so.
  const std::string field = secret ? (st.password_given ? "secondary_password" : "password") : "answer";
  f->set_name(field);
  f->set_label(label != nullptr && *label != '\0' ? label : (secret ? "Password:" : "Answer:"));
  auto answers = st.conv->ask(std::move(form));
  if (!answers) return std::nullopt;
  std::string out = answer_for(*answers, field);
  for (auto& a : *answers) wipe_string(a.value);
  return out;
}

int conversation(int n, const struct pam_message** msg, struct pam_response** resp, void* data) {
  auto* st = static_cast<ConvState*>(data);
  if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  auto* out = static_cast<pam_response*>(calloc(static_cast<size_t>(n), sizeof(pam_response)));
  if (out == nullptr) return PAM_BUF_ERR;
  auto fail = [&]() {
    for (int j = 0; j < n; ++j)
      if (out[j].resp != nullptr) {
        secure_wipe(out[j].resp, strlen(out[j].resp));
        free(out[j].resp);
      }
    free(out);
    return PAM_CONV_ERR;
  };
  for (int i = 0; i < n; ++i) {
    const pam_message* m = msg[i];
    switch (m->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
      case PAM_PROMPT_ECHO_ON: {
        std::optional<std::string> a;
        if (m->msg_style == PAM_PROMPT_ECHO_OFF && st->has_initial) {
          a = std::move(st->initial_password);
          st->initial_password.clear();
          st->has_initial = false;
        } else {
          a = ask(*st, m->msg_style == PAM_PROMPT_ECHO_OFF, m->msg);
        }
        if (!a) return fail();
        // Later hidden prompts are extra factors: they are named secondary_password.
        if (m->msg_style == PAM_PROMPT_ECHO_OFF) st->password_given = true;
        out[i].resp = strdup(a->c_str());
        wipe_string(*a);
        if (out[i].resp == nullptr) return fail();
        break;
      }
      case PAM_TEXT_INFO:
      case PAM_ERROR_MSG:
        if (m->msg != nullptr && st->info.size() < 2048) {
          if (!st->info.empty()) st->info += "\n";
          st->info += m->msg;
        }
        break;
      default:
        return fail();
    }
  }
  *resp = out;
  return PAM_SUCCESS;
}

AuthStep outcome(int rc, const std::string& user, uint32_t gid_min) {
  switch (rc) {
    case PAM_SUCCESS:
      return AuthStep::success(unix_groups(user, gid_min));
    case PAM_ACCT_EXPIRED:
      return AuthStep::failure("account expired", "Your account has expired.");
    case PAM_NEW_AUTHTOK_REQD:
      return AuthStep::failure("password expired", "Your password has expired; please change it first.");
    case PAM_PERM_DENIED:
      return AuthStep::failure("account not permitted (PAM)", "Your account is not allowed to log in.");
    default:
      return AuthStep::failure(std::string("PAM: ") + pam_strerror(nullptr, rc));
  }
}

AuthStep run_pam(const PamParams& p, LoginConversation& conv, LoginStart& s) {
  ConvState st{&conv, s.password, s.has_password, {}};
  wipe_string(s.password);
  struct pam_conv pc = {&conversation, &st};
  pam_handle_t* h = nullptr;
  int rc = pam_start(p.service.c_str(), s.user.c_str(), &pc, &h);
  if (rc == PAM_SUCCESS) {
    (void)pam_set_item(h, PAM_RHOST, s.client_ip.c_str());
    rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
    // Only after the password was right does the account's state show.
    if (rc == PAM_SUCCESS)
      rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
    else if (rc != PAM_CONV_ERR && rc != PAM_MAXTRIES)
      rc = PAM_AUTH_ERR;  // one cause for every failure before the password was checked
    pam_end(h, rc);
  }
  wipe_string(st.initial_password);
  return outcome(rc, s.user, p.gid_min);
}

}  // namespace

std::vector<std::string> unix_groups(const std::string& user, uint32_t gid_min) {
  std::vector<std::string> out;
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return out;
  gid_t primary = pw.pw_gid;
  std::vector<gid_t> gids(64);
  int n = static_cast<int>(gids.size());
  if (getgrouplist(user.c_str(), primary, gids.data(), &n) < 0) {
    if (n <= 0 || n > 65536) return out;
    gids.resize(static_cast<size_t>(n));
    if (getgrouplist(user.c_str(), primary, gids.data(), &n) < 0) return out;
  }
  gids.resize(static_cast<size_t>(n));
  // getgrouplist puts the primary group first.
  for (gid_t g : gids) {
    if (g < gid_min) continue;
    struct group gr {};
    struct group* gfound = nullptr;
    if (getgrgid_r(g, &gr, buf.data(), buf.size(), &gfound) != 0 || gfound == nullptr) continue;
    std::string name(gr.gr_name);
    bool dup = false;
    for (const auto& o : out) dup = dup || o == name;
    if (!dup) out.push_back(std::move(name));
  }
  return out;
}

LoginJob PamBackend::job() const {
  return [p = params_](LoginConversation& conv, LoginStart& s) { return run_pam(p, conv, s); };
}

namespace {

// An account check asks nothing: a module that prompts gets no answer; messages get empty
// responses (the array pam_conv(3) says the application allocates).
int no_questions(int n, const struct pam_message** msg, struct pam_response** resp, void*) {
  *resp = nullptr;
  if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  for (int i = 0; i < n; ++i)
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
      return PAM_CONV_ERR;
  *resp = static_cast<struct pam_response*>(std::calloc(static_cast<size_t>(n), sizeof(struct pam_response)));
  return *resp == nullptr ? PAM_BUF_ERR : PAM_SUCCESS;
}

AuthStep check_account(const std::string& service, const LoginStart& s) {
  struct pam_conv pc = {&no_questions, nullptr};
  pam_handle_t* h = nullptr;
  int rc = pam_start(service.c_str(), s.user.c_str(), &pc, &h);
  if (rc == PAM_SUCCESS) {
    (void)pam_set_item(h, PAM_RHOST, s.client_ip.c_str());
    rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
    pam_end(h, rc);
  }
  AuthStep step = [&] {
    switch (rc) {
      case PAM_SUCCESS:
        return AuthStep::success({});
      case PAM_ACCT_EXPIRED:
        return AuthStep::failure("account expired (acct = pam)", "Your account has expired.");
      case PAM_NEW_AUTHTOK_REQD:
        return AuthStep::failure("password expired (acct = pam)",
                                 "Your password has expired; please change it first.");
      default:
        return AuthStep::failure(
            std::string("account refused by PAM (acct = pam): ") + pam_strerror(nullptr, rc),
            "Your account is not allowed to log in.");
    }
  }();
  step.count_failure = false;  // the login itself succeeded: no ban points
  return step;
}

}  // namespace

LoginJob PamAccountBackend::job() const {
  return [service = service_](LoginConversation&, LoginStart& s) { return check_account(service, s); };
}

}  // namespace sslvpn::secmod
