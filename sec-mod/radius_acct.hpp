// acct = "radius[config=FILE]": RADIUS accounting (RFC 2866) for each tunnel: Start when it comes
// up, Interim-Update every stats-report-time (or the login's Acct-Interim-Interval), Stop with
// the byte counters and the cause when it ends. Records go out from one thread of their own,
// in order, so a slow accounting server delays nothing else; at most kMaxQueuedRecords wait.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/log.hpp"
#include "ipc.pb.h"

namespace sslvpn::secmod {

inline constexpr size_t kMaxQueuedRecords = 10000;

class RadiusAccounting {
 public:
  RadiusAccounting(std::string config, std::string nas_identifier);
  ~RadiusAccounting();
  RadiusAccounting(const RadiusAccounting&) = delete;
  RadiusAccounting& operator=(const RadiusAccounting&) = delete;

  // Queues a record; false (dropped) when the queue is full.
  bool submit(const ipc::AccountingRecord& r);
  // Records that could not be delivered since the last call (for the log).
  uint64_t take_failures();

 private:
  void run();

  std::string config_, nas_identifier_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ipc::AccountingRecord> queue_;
  bool stopping_ = false;
  uint64_t failures_ = 0;
  std::thread thread_;
};

}  // namespace sslvpn::secmod
