#include "sec-mod/pam_auth.hpp"

#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/secret_bytes.hpp"

namespace sslvpn::secmod {

// Shared by a login (event loop side) and its PAM thread. The thread posts steps and waits for
// answers; the loop side posts answers, or cancels when the worker goes away.
struct PamChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<AuthStep> events;                // thread -> loop
  std::optional<std::vector<Answer>> answer;  // loop -> thread
  bool cancelled = false;
  ev_async* wake = nullptr;  // valid while !cancelled
  struct ev_loop* loop = nullptr;

  // Thread side: hands a step to the loop. false when nobody listens any more.
  bool post(AuthStep s) {
    std::lock_guard<std::mutex> g(mu);
    if (cancelled) return false;
    events.push_back(std::move(s));
    ev_async_send(loop, wake);
    return true;
  }
};

class PamLogin : public PasswordLogin {
 public:
  PamLogin(PamBackend& b, uint64_t id, std::shared_ptr<PamChannel> ch, StepCallback cb)
      : backend_(b), id_(id), ch_(std::move(ch)), cb_(std::move(cb)) {
    backend_.live_[id_] = this;
  }
  ~PamLogin() override {
    {
      std::lock_guard<std::mutex> g(ch_->mu);
      ch_->cancelled = true;
      if (ch_->answer)
        for (auto& a : *ch_->answer) wipe_string(a.value);
    }
    ch_->cv.notify_all();
    backend_.live_.erase(id_);
  }

  std::optional<AuthStep> answer(std::vector<Answer>& answers) override {
    {
      std::lock_guard<std::mutex> g(ch_->mu);
      ch_->answer = std::move(answers);
    }
    ch_->cv.notify_all();
    return std::nullopt;
  }

  // Loop side: the next step the thread posted, if any.
  std::optional<AuthStep> take() {
    std::lock_guard<std::mutex> g(ch_->mu);
    if (ch_->events.empty()) return std::nullopt;
    AuthStep s = std::move(ch_->events.front());
    ch_->events.pop_front();
    return s;
  }
  const StepCallback& callback() const { return cb_; }

 private:
  PamBackend& backend_;
  uint64_t id_;
  std::shared_ptr<PamChannel> ch_;
  StepCallback cb_;
};

namespace {

struct ConvState {
  std::shared_ptr<PamChannel> ch;
  std::string initial_password;
  bool has_initial = false;
  std::string info;  // PAM_TEXT_INFO / PAM_ERROR_MSG text not shown yet
  std::chrono::seconds timeout;
};

// Asks the client one question through the loop and waits for the answer.
std::optional<std::string> ask(ConvState& st, bool secret, const char* label) {
  ipc::AuthForm form;
  form.set_message(st.info.empty() ? "Please answer:" : st.info);
  st.info.clear();
  auto* f = form.add_fields();
  f->set_kind(secret ? ipc::FormField::PASSWORD : ipc::FormField::TEXT);
  // A hidden prompt that replaces the first form's password keeps the name "password", so
  // clients that fill that field from saved input (openconnect --passwd-on-stdin) do so.
  f->set_name(secret ? (st.has_initial ? "secondary_password" : "password") : "answer");
  f->set_label(label != nullptr && *label != '\0' ? label : (secret ? "Password:" : "Answer:"));
  const std::string field = f->name();  // `form` (and `f` with it) belongs to the loop once posted
  if (!st.ch->post(AuthStep::prompt(std::move(form)))) return std::nullopt;
  std::unique_lock<std::mutex> lk(st.ch->mu);
  bool got =
      st.ch->cv.wait_for(lk, st.timeout, [&] { return st.ch->cancelled || st.ch->answer.has_value(); });
  if (!got || st.ch->cancelled) return std::nullopt;
  std::vector<Answer> answers = std::move(*st.ch->answer);
  st.ch->answer.reset();
  std::string out = answer_for(answers, field);
  for (auto& a : answers) wipe_string(a.value);
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
          // Later hidden prompts are extra factors, whatever their name.
          st->has_initial = false;
        } else {
          a = ask(*st, m->msg_style == PAM_PROMPT_ECHO_OFF, m->msg);
        }
        if (!a) return fail();
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

void pam_thread(std::shared_ptr<PamChannel> ch, PamParams p, std::string user, std::string password,
                bool has_pw, std::string rhost) {
  ConvState st{ch, std::move(password), has_pw, {}, std::chrono::seconds(p.answer_timeout_s)};
  wipe_string(password);
  struct pam_conv conv = {&conversation, &st};
  pam_handle_t* h = nullptr;
  int rc = pam_start(p.service.c_str(), user.c_str(), &conv, &h);
  if (rc == PAM_SUCCESS) {
    (void)pam_set_item(h, PAM_RHOST, rhost.c_str());
    rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
    // Only after the password was right does the account's state show.
    if (rc == PAM_SUCCESS) {
      int acct = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
      rc = acct;
    } else if (rc != PAM_CONV_ERR && rc != PAM_MAXTRIES) {
      rc = PAM_AUTH_ERR;  // one cause for every failure before the password was checked
    }
    pam_end(h, rc);
  }
  wipe_string(st.initial_password);
  ch->post(outcome(rc, user, p.gid_min));
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

PamBackend::PamBackend(struct ev_loop* loop, PamParams p) : loop_(loop), params_(std::move(p)) {
  ev_async_init(&async_, &PamBackend::async_cb);
  async_.data = this;
  ev_async_start(loop_, &async_);
}

PamBackend::~PamBackend() {
  // Logins are owned by sec-mod's peers, which go first; a thread still running finds its
  // channel cancelled and never touches async_.
  ev_async_stop(loop_, &async_);
}

void PamBackend::async_cb(struct ev_loop*, ev_async* w, int) {
  static_cast<PamBackend*>(w->data)->deliver();
}

void PamBackend::deliver() {
  std::vector<uint64_t> ids;
  ids.reserve(live_.size());
  for (const auto& [id, login] : live_) ids.push_back(id);
  for (uint64_t id : ids) {
    for (;;) {
      auto it = live_.find(id);  // a callback may have ended this login
      if (it == live_.end()) break;
      std::optional<AuthStep> s = it->second->take();
      if (!s) break;
      StepCallback cb = it->second->callback();
      cb(std::move(*s));
    }
  }
}

std::unique_ptr<PasswordLogin> PamBackend::start(LoginStart& s, StepCallback later,
                                                 std::optional<AuthStep>* first) {
  if (live_.size() >= kMaxPamLogins) {
    wipe_string(s.password);
    AuthStep busy = AuthStep::failure("too many PAM logins at once", "The server is busy; please try again.");
    busy.count_failure = false;
    *first = std::move(busy);
    return nullptr;
  }
  auto ch = std::make_shared<PamChannel>();
  ch->loop = loop_;
  ch->wake = &async_;
  uint64_t id = next_id_++;
  auto login = std::make_unique<PamLogin>(*this, id, ch, std::move(later));
  std::thread(pam_thread, ch, params_, s.user, s.password, s.has_password, s.client_ip).detach();
  wipe_string(s.password);
  return login;
}

}  // namespace sslvpn::secmod
