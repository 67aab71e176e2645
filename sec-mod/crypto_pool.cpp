#include "sec-mod/crypto_pool.hpp"

#include <unistd.h>

#include <algorithm>

namespace sslvpn::secmod {

size_t CryptoPool::thread_count(unsigned configured) {
  long n = configured != 0 ? static_cast<long>(configured) : ::sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<size_t>(std::clamp<long>(n, 1, 64));
}

CryptoPool::CryptoPool(struct ev_loop* loop, size_t threads, size_t max_queued_per_lane)
    : loop_(loop), max_queued_(max_queued_per_lane) {
  ev_async_init(&async_, &CryptoPool::async_cb);
  async_.data = this;
  ev_async_start(loop_, &async_);
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

CryptoPool::~CryptoPool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    sign_.clear();
    hash_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  ev_async_stop(loop_, &async_);
}

bool CryptoPool::submit(Lane lane, Work work, Done done) {
  {
    std::lock_guard<std::mutex> g(mu_);
    auto& q = lane == Lane::Sign ? sign_ : hash_;
    if (q.size() >= max_queued_) {
      ++(lane == Lane::Sign ? refused_sign_ : refused_hash_);
      return false;
    }
    q.push_back(Job{std::move(work), std::move(done)});
    ++unfinished_;
  }
  cv_.notify_one();
  return true;
}

size_t CryptoPool::queued(Lane lane) const {
  std::lock_guard<std::mutex> g(mu_);
  return lane == Lane::Sign ? sign_.size() : hash_.size();
}

size_t CryptoPool::unfinished() const {
  std::lock_guard<std::mutex> g(mu_);
  return unfinished_;
}

size_t CryptoPool::refused(Lane lane) const {
  std::lock_guard<std::mutex> g(mu_);
  return lane == Lane::Sign ? refused_sign_ : refused_hash_;
}

void CryptoPool::run(size_t index) {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !sign_.empty() || !hash_.empty(); });
      if (stopping_) return;
      auto& q = !sign_.empty() ? sign_ : hash_;  // signatures first
      job = std::move(q.front());
      q.pop_front();
    }
    job.work(index);
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) return;
      finished_.push_back(std::move(job.done));
    }
    ev_async_send(loop_, &async_);
  }
}

void CryptoPool::async_cb(struct ev_loop*, ev_async* w, int) {
  static_cast<CryptoPool*>(w->data)->deliver();
}

void CryptoPool::deliver() {
  std::deque<Done> ready;
  {
    std::lock_guard<std::mutex> g(mu_);
    ready.swap(finished_);
  }
  for (auto& d : ready) {
    d();
    std::lock_guard<std::mutex> g(mu_);
    --unfinished_;
  }
}

}  // namespace sslvpn::secmod
