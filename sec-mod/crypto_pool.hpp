// sec-mod's expensive work on every core: private-key signatures (every TLS handshake) and
// password hashes (every password login) run on a fixed set of threads, so a login storm is not
// served by one core while the others wait (ocserv gets this from several sec-mod processes,
// sec-mod-scale).
//
// Two bounded lanes, signatures first: a reconnect that presents its cookie needs a handshake
// but no hash, so under overload it goes ahead of new logins. A full lane refuses at once (the
// caller answers "busy"); nothing waits without bound. Results come back on sec-mod's event
// loop, through an ev_async, in the order the jobs finish.
#pragma once

#include <ev.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sslvpn::secmod {

class CryptoPool {
 public:
  enum class Lane { Sign, Hash };
  // Runs on a pool thread; `thread` (0..threads-1) picks per-thread state such as a key copy.
  using Work = std::function<void(size_t thread)>;
  // Runs on the event loop once the work is done.
  using Done = std::function<void()>;

  CryptoPool(struct ev_loop* loop, size_t threads, size_t max_queued_per_lane);
  ~CryptoPool();
  CryptoPool(const CryptoPool&) = delete;
  CryptoPool& operator=(const CryptoPool&) = delete;

  // Queues a job; false (and nothing queued) when the lane already holds its maximum.
  bool submit(Lane lane, Work work, Done done);

  size_t threads() const noexcept { return threads_.size(); }
  size_t queued(Lane lane) const;
  // Jobs refused because their lane was full, since the start.
  size_t refused(Lane lane) const;
  // Jobs submitted whose Done has not run yet (waiting, on a thread, or finished and not yet
  // delivered): 0 means no pool thread is working for anyone.
  size_t unfinished() const;

  // The thread count for sec-mod-scale = n (0: one per online CPU), within [1, 64].
  static size_t thread_count(unsigned configured);

 private:
  struct Job {
    Work work;
    Done done;
  };
  static void async_cb(struct ev_loop*, ev_async* w, int);
  void run(size_t index);
  void deliver();

  struct ev_loop* loop_;
  size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> sign_, hash_;  // waiting
  std::deque<Done> finished_;    // done, for the loop
  size_t refused_sign_ = 0, refused_hash_ = 0;
  size_t unfinished_ = 0;
  bool stopping_ = false;
  ev_async async_{};
  std::vector<std::thread> threads_;
};

}  // namespace sslvpn::secmod
