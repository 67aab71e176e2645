#include "main/admission.hpp"

#include <algorithm>

namespace sslvpn::mainproc {

namespace {
constexpr size_t kLoginsPerCpu = 16;
constexpr double kMaxOldestFirstS = 5;
}  // namespace

AdmissionLimits admission_limits_for(size_t max_logins, double queue_timeout_s, long cpus) {
  AdmissionLimits l;
  l.in_progress = max_logins != 0 ? max_logins : kLoginsPerCpu * static_cast<size_t>(std::max(1L, cpus));
  l.queue_timeout_s = queue_timeout_s;
  l.overload_after_s = std::min(queue_timeout_s / 2, kMaxOldestFirstS);
  if (queue_timeout_s == 0) l.max_queued = 0;  // 0: never wait, close at once
  return l;
}

std::optional<WaitingConnection> LoginAdmission::arrive(WaitingConnection c, double now) {
  drop_stale(now);
  auto& lane = c.resumption ? resume_ : queue_;
  if (lane.empty() && has_free_slot()) {
    ++reserved_;
    ++stats_.admitted_at_once;
    return c;
  }
  if (limits_.max_queued == 0) {
    ++stats_.closed_overflow;
    return std::nullopt;  // c closes here
  }
  if (queued() >= limits_.max_queued) {
    // The oldest of the arrival's own lane makes room (it has the least patience left): a
    // flood in one lane (forged resumptions) cannot push the other lane out of the queue.
    auto& other = c.resumption ? queue_ : resume_;
    (lane.empty() ? other : lane).pop_front();
    ++stats_.closed_overflow;
  }
  c.since = now;
  lane.push_back(std::move(c));
  return std::nullopt;
}

std::optional<WaitingConnection> LoginAdmission::next(double now) {
  drop_stale(now);
  if (!has_free_slot() || (queue_.empty() && resume_.empty())) return std::nullopt;
  bool resume_turn = (turn_++ % 2) == 0;
  auto& lane = resume_.empty() ? queue_ : queue_.empty() || resume_turn ? resume_ : queue_;
  return take_from(lane, now);
}

std::optional<WaitingConnection> LoginAdmission::take_from(std::deque<WaitingConnection>& q, double now) {
  bool overloaded = now - q.front().since >= limits_.overload_after_s;
  WaitingConnection c;
  if (overloaded) {
    c = std::move(q.back());
    q.pop_back();
  } else {
    c = std::move(q.front());
    q.pop_front();
  }
  ++reserved_;
  ++stats_.admitted_after_wait;
  return c;
}

void LoginAdmission::take(uint64_t worker, double now) {
  if (reserved_ > 0) --reserved_;
  slots_[worker] = now;
}

void LoginAdmission::release(uint64_t worker) {
  slots_.erase(worker);
}

void LoginAdmission::expire(double now) {
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (now - it->second >= limits_.slot_hold_s)
      it = slots_.erase(it);
    else
      ++it;
  }
  drop_stale(now);
}

void LoginAdmission::drop_stale(double now) {
  for (auto* q : {&queue_, &resume_}) {
    while (!q->empty() && now - q->front().since >= limits_.queue_timeout_s) {
      q->pop_front();
      ++stats_.closed_stale;
    }
  }
}

}  // namespace sslvpn::mainproc
