// The flow store's own thread. The collector's loop hands it batches and queries and goes back
// to its sockets at once: the store's waits (SQLite's page writes and syncs, PostgreSQL's round
// trips) are this thread's alone, so datagrams keep being read and decoded meanwhile. A job
// (a query) runs once every batch handed over before it is written, or while the store refuses
// batches (then it answers with what the store has, or its error, instead of waiting).
//
// A batch the store refuses stays first in line and is tried again a second later; while the
// store is down, later batches queue behind it up to `max_queued_flows`, and past that the
// newest are dropped. Both are counted (Stats).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "worker/nvm/store.hpp"

namespace sslvpn::nvm {

struct Batch {
  std::vector<FlowRecord> flows;
  std::vector<EndpointRecord> endpoints;
  std::vector<InterfaceRecord> interfaces;
};

class StoreWriter {
 public:
  using Job = std::function<void(FlowStore&)>;  // a query or retention, run between batches
  struct Stats {
    uint64_t stored = 0;         // flows written
    uint64_t failed = 0;         // flows lost: the store refused them and the queue was full
    uint64_t dropped_queue = 0;  // flows never written: the queue was full when they came
    size_t queued = 0;           // flows waiting now
    std::string last_error;      // the store's last error, on one line
  };

  StoreWriter(Logger& log, std::unique_ptr<FlowStore> store, size_t max_queued_flows);
  // Writes what is queued (as long as the store takes it), then ends the thread.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Starts the thread: before the sandbox, whose filter then covers it too (TSYNC).
  void start();
  void submit(Batch b);
  // An empty flow vector that keeps the capacity of one already written (or an empty one): the
  // collector fills it next, without a fresh allocation whose pages the kernel must clear.
  std::vector<FlowRecord> take_spare();
  void run(Job j);
  Stats stats() const;
  const char* kind() const { return kind_; }

 private:
  void loop();
  // Writes the first batch (the lock is released meanwhile); false: the store refused it.
  bool write_first(std::unique_lock<std::mutex>& lock);

  Logger& log_;
  std::unique_ptr<FlowStore> store_;
  const char* kind_;
  size_t max_queued_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<Batch> batches_;
  std::vector<FlowRecord> spare_;  // emptied after its batch was written; take_spare() hands it on
  struct PendingJob {
    Job job;
    uint64_t after;  // batches submitted before it
  };
  std::deque<PendingJob> jobs_;
  uint64_t submitted_ = 0, done_ = 0;  // batches handed over; written or given up
  bool refusing_ = false;              // the store refused the first batch; retry at retry_at_
  std::chrono::steady_clock::time_point retry_at_{};
  size_t queued_flows_ = 0;
  bool stopping_ = false;
  Stats stats_;
  double last_warning_ = -1e9;
  std::thread thread_;
};

}  // namespace sslvpn::nvm
