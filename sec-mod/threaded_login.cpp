#include "sec-mod/threaded_login.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/secret_bytes.hpp"

namespace sslvpn::secmod {

// Shared by a login (loop side) and its thread. The thread posts steps and waits for answers;
// the loop posts answers, or cancels when the worker goes away.
struct ThreadChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<AuthStep> events;                // thread -> loop
  std::optional<std::vector<Answer>> answer;  // loop -> thread
  bool cancelled = false;
  struct ev_loop* loop = nullptr;
  ev_async* wake = nullptr;  // used only while !cancelled

  // Thread side: hands a step to the loop. false when nobody listens any more.
  bool post(AuthStep s) {
    std::lock_guard<std::mutex> g(mu);
    if (cancelled) return false;
    events.push_back(std::move(s));
    ev_async_send(loop, wake);
    return true;
  }
};

std::optional<std::vector<Answer>> LoginConversation::ask(ipc::AuthForm form) {
  if (!ch_->post(AuthStep::prompt(std::move(form)))) return std::nullopt;
  std::unique_lock<std::mutex> lk(ch_->mu);
  bool got = ch_->cv.wait_for(lk, timeout_, [&] { return ch_->cancelled || ch_->answer.has_value(); });
  if (!got || ch_->cancelled) return std::nullopt;
  std::vector<Answer> out = std::move(*ch_->answer);
  ch_->answer.reset();
  return out;
}

class ThreadLogin : public PasswordLogin {
 public:
  ThreadLogin(ThreadedBackend& b, uint64_t id, std::shared_ptr<ThreadChannel> ch, StepCallback cb)
      : backend_(b), id_(id), ch_(std::move(ch)), cb_(std::move(cb)) {
    backend_.live_[id_] = this;
  }
  ~ThreadLogin() override {
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

  std::optional<AuthStep> take() {
    std::lock_guard<std::mutex> g(ch_->mu);
    if (ch_->events.empty()) return std::nullopt;
    AuthStep s = std::move(ch_->events.front());
    ch_->events.pop_front();
    return s;
  }
  const StepCallback& callback() const { return cb_; }

 private:
  ThreadedBackend& backend_;
  uint64_t id_;
  std::shared_ptr<ThreadChannel> ch_;
  StepCallback cb_;
};

ThreadedBackend::ThreadedBackend(struct ev_loop* loop, size_t max_running, uint32_t answer_timeout_s)
    : loop_(loop), max_running_(max_running), answer_timeout_(answer_timeout_s) {
  ev_async_init(&async_, &ThreadedBackend::async_cb);
  async_.data = this;
  ev_async_start(loop_, &async_);
}

ThreadedBackend::~ThreadedBackend() {
  // Logins belong to sec-mod's peers, which go first; a thread still running finds its channel
  // cancelled and never touches async_.
  ev_async_stop(loop_, &async_);
}

void ThreadedBackend::async_cb(struct ev_loop*, ev_async* w, int) {
  static_cast<ThreadedBackend*>(w->data)->deliver();
}

void ThreadedBackend::deliver() {
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

std::unique_ptr<PasswordLogin> ThreadedBackend::start(LoginStart& s, StepCallback later,
                                                      std::optional<AuthStep>* first) {
  if (live_.size() >= max_running_) {
    wipe_string(s.password);
    AuthStep busy =
        AuthStep::failure("too many logins waiting at once", "The server is busy; please try again.");
    busy.count_failure = false;
    busy.busy = true;
    *first = std::move(busy);
    return nullptr;
  }
  auto ch = std::make_shared<ThreadChannel>();
  ch->loop = loop_;
  ch->wake = &async_;
  auto login = std::make_unique<ThreadLogin>(*this, next_id_++, ch, std::move(later));
  std::thread(
      [ch, job = job(), timeout = answer_timeout_](LoginStart st) {
        LoginConversation conv(ch, timeout);
        AuthStep result = job(conv, st);
        wipe_string(st.password);
        ch->post(std::move(result));
      },
      s)
      .detach();
  wipe_string(s.password);
  return login;
}

}  // namespace sslvpn::secmod
