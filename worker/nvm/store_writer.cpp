#include "worker/nvm/store_writer.hpp"

#include <chrono>
#include <ctime>

namespace sslvpn::nvm {
namespace {

constexpr auto kRetryAfter = std::chrono::seconds(1);
constexpr double kWarnEvery = 60;

double now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// A store's error text on one line (PostgreSQL's span several).
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

StoreWriter::StoreWriter(Logger& log, std::unique_ptr<FlowStore> store, size_t max_queued_flows)
    : log_(log), store_(std::move(store)), kind_(store_->kind()), max_queued_(max_queued_flows) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard<std::mutex> g(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreWriter::start() {
  thread_ = std::thread([this] { loop(); });
}

void StoreWriter::submit(Batch b) {
  {
    std::lock_guard<std::mutex> g(m_);
    if (queued_flows_ + b.flows.size() > max_queued_) {
      stats_.dropped_queue += b.flows.size();
      b.flows.clear();  // identity and interface records are few: they still go
    }
    queued_flows_ += b.flows.size();
    batches_.push_back(std::move(b));
    ++submitted_;
  }
  cv_.notify_one();
}

std::vector<FlowRecord> StoreWriter::take_spare() {
  std::lock_guard<std::mutex> g(m_);
  return std::move(spare_);
}

void StoreWriter::run(Job j) {
  {
    std::lock_guard<std::mutex> g(m_);
    jobs_.push_back(PendingJob{std::move(j), submitted_});
  }
  cv_.notify_one();
}

StoreWriter::Stats StoreWriter::stats() const {
  std::lock_guard<std::mutex> g(m_);
  Stats s = stats_;
  s.queued = queued_flows_;
  return s;
}

void StoreWriter::loop() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    bool job_ready = !jobs_.empty() && (jobs_.front().after <= done_ || refusing_);
    bool batch_ready = !batches_.empty() && (!refusing_ || now >= retry_at_ || stopping_);
    if (job_ready) {
      Job j = std::move(jobs_.front().job);
      jobs_.pop_front();
      lock.unlock();
      j(*store_);
      lock.lock();
      continue;
    }
    if (batch_ready) {
      refusing_ = !write_first(lock);
      if (refusing_) retry_at_ = std::chrono::steady_clock::now() + kRetryAfter;
      continue;
    }
    if (stopping_ && batches_.empty()) return;  // everything written (jobs after it ran)
    if (refusing_)
      cv_.wait_until(lock, retry_at_);
    else
      cv_.wait(lock);
  }
}

bool StoreWriter::write_first(std::unique_lock<std::mutex>& lock) {
  Batch b = std::move(batches_.front());
  batches_.pop_front();
  size_t n = b.flows.size();
  lock.unlock();
  bool ok = store_->write(b.flows, b.endpoints, b.interfaces).ok();
  std::string error = ok ? std::string() : one_line(store_->last_error());
  if (ok) b.flows.clear();  // outside the lock: 65,536 records to destroy
  lock.lock();
  if (ok) {
    stats_.stored += n;
    queued_flows_ -= n;
    ++done_;
    if (b.flows.capacity() > spare_.capacity()) spare_ = std::move(b.flows);
    return true;
  }
  stats_.last_error = error;
  // While the store is down the queue grows; past its bound (or at the end) this batch is lost.
  bool give_up = queued_flows_ >= max_queued_ || stopping_;
  if (now_s() - last_warning_ > kWarnEvery || give_up) {
    last_warning_ = now_s();
    log_.error("the ", kind_, " store failed: ", error, "; ", n, " flows ",
               give_up ? "lost" : "wait for the next try", " (", stats_.failed + (give_up ? n : 0),
               " lost so far)");
  }
  if (give_up) {
    stats_.failed += n;
    queued_flows_ -= n;
    ++done_;
    return true;  // the next batch gets its own try
  }
  batches_.push_front(std::move(b));
  return false;
}

}  // namespace sslvpn::nvm
