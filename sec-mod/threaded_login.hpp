// Password methods that block (PAM modules, RADIUS round trips) run each login in a thread of
// its own, so a slow server or a user who takes a minute to type a code stalls nobody else.
// The thread talks to sec-mod's event loop only through a LoginConversation: it posts forms and
// waits for the answers; the loop delivers its steps through the login's callback.
#pragma once

#include <ev.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "sec-mod/auth_backend.hpp"

namespace sslvpn::secmod {

struct ThreadChannel;

// The thread's side of a login.
class LoginConversation {
 public:
  LoginConversation(std::shared_ptr<ThreadChannel> ch, std::chrono::seconds timeout)
      : ch_(std::move(ch)), timeout_(timeout) {}
  // Shows `form` to the client and waits for the answers: nullopt when the worker went away or
  // auth-timeout passed (the login then fails).
  std::optional<std::vector<Answer>> ask(ipc::AuthForm form);

 private:
  std::shared_ptr<ThreadChannel> ch_;
  std::chrono::seconds timeout_;
};

// What a login thread runs: a conversation and the first form's input, to the final step. It
// must not touch sec-mod's state; it captures copies of what it needs.
using LoginJob = std::function<AuthStep(LoginConversation&, LoginStart&)>;

class ThreadLogin;

class ThreadedBackend : public PasswordBackend {
 public:
  ThreadedBackend(struct ev_loop* loop, size_t max_running, uint32_t answer_timeout_s);
  ~ThreadedBackend() override;
  ThreadedBackend(const ThreadedBackend&) = delete;
  ThreadedBackend& operator=(const ThreadedBackend&) = delete;

  std::unique_ptr<PasswordLogin> start(LoginStart& s, StepCallback later,
                                       std::optional<AuthStep>* first) final;
  size_t running() const noexcept { return live_.size(); }

 protected:
  virtual LoginJob job() const = 0;

 private:
  friend class ThreadLogin;
  static void async_cb(struct ev_loop*, ev_async* w, int);
  void deliver();

  struct ev_loop* loop_;
  size_t max_running_;
  std::chrono::seconds answer_timeout_;
  ev_async async_{};
  uint64_t next_id_ = 1;
  std::map<uint64_t, ThreadLogin*> live_;
};

}  // namespace sslvpn::secmod
