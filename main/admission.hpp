// Login admission: main lets at most `in_progress` logins run at once (a worker from its start
// until its login succeeded, it asked for a tunnel with a cookie, it exited, or `slot_hold_s`
// passed: a person typing holds no slot for long). Connections beyond that wait here, bounded
// in number and in time, instead of all starting handshakes that the machine finishes too late
// for anyone. Waiting costs nothing but a descriptor: no signature, no hash.
//
// Order: oldest first while the oldest has waited less than `overload_after_s` (the server uses
// half of `queue_timeout_s`): a storm a little above capacity only delays its clients, and all
// are served. Past that, the queue no longer drains in time: newest first, so those admitted
// still have their patience left, and the oldest are closed once they have waited
// `queue_timeout_s` (the client sees the connection closed at once and may try again) or to
// make room. Connections whose TLS hello resumes a session of ours (a
// client opening its tunnel after its login, or reconnecting: main/tls_hello.hpp) wait in a
// lane of their own; while both lanes wait, free slots alternate between them. A client
// opening its tunnel after a paid-for login is not starved by new logins, and one that forges
// the extension takes at most half the slots from them. A pure value: times are given, so it
// is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/unique_fd.hpp"
#include "main/listener.hpp"

namespace sslvpn::mainproc {

struct AdmissionLimits {
  size_t in_progress = 32;      // logins running at once
  size_t max_queued = 4096;     // connections waiting
  double queue_timeout_s = 10;  // longest wait before the connection is closed
  double slot_hold_s = 5;       // longest a login holds its slot
  double overload_after_s = 5;  // oldest wait that switches to newest-first
};

// The server's limits: `max_logins` (0: 16 per CPU) and login-queue-timeout (0: nothing waits).
// Oldest first while the oldest has waited less than half the timeout, at most 5 s: a storm a
// little above capacity is then served whole (newest first after a second refused its oldest),
// and under a long overload no slot goes to a client that waited longer than a person would.
AdmissionLimits admission_limits_for(size_t max_logins, double queue_timeout_s, long cpus);

struct WaitingConnection {
  UniqueFd fd;
  std::string ip;
  uint16_t port = 0;
  TcpService service = TcpService::Https;
  double since = 0;
  bool resumption = false;           // its ClientHello offers a session ticket
  std::optional<OvpnUdpStart> ovpn;  // OpenVPN over UDP: what the stateless handshake saw
  std::string local_ip;              // from a PROXY header: the address the client connected to
};

struct AdmissionStats {
  uint64_t admitted_at_once = 0, admitted_after_wait = 0;
  uint64_t closed_stale = 0, closed_overflow = 0;
};

class LoginAdmission {
 public:
  explicit LoginAdmission(AdmissionLimits l) : limits_(l) {}
  void set_limits(AdmissionLimits l) { limits_ = l; }
  const AdmissionLimits& limits() const noexcept { return limits_; }

  // A new connection: returned to start now (take() its slot once it has a worker id), or
  // queued (nullopt). When the queue is full the oldest waiting connection of its own lane is
  // closed (of the other lane only when its own is empty).
  std::optional<WaitingConnection> arrive(WaitingConnection c, double now);
  // The next queued connection to start, if a slot is free; closes those too old on the way.
  std::optional<WaitingConnection> next(double now);

  void take(uint64_t worker, double now);
  // The worker's login is over (success, a cookie's tunnel, exit): its slot is free again.
  void release(uint64_t worker);
  // Frees the slots held longer than slot_hold_s and closes connections that waited too long.
  void expire(double now);

  size_t in_progress() const noexcept { return slots_.size() + reserved_; }
  size_t queued() const noexcept { return queue_.size() + resume_.size(); }
  const AdmissionStats& stats() const noexcept { return stats_; }
  // A connection handed out by arrive()/next() before its worker id exists holds a reserved
  // slot; take() turns it into a worker's, cancel_reservation() gives it back (the spawn failed).
  void cancel_reservation() {
    if (reserved_ > 0) --reserved_;
  }
  // Closes every waiting connection (the server stops taking new ones).
  void close_waiting() {
    queue_.clear();
    resume_.clear();
  }

 private:
  bool has_free_slot() const { return in_progress() < limits_.in_progress; }
  void drop_stale(double now);
  std::optional<WaitingConnection> take_from(std::deque<WaitingConnection>& q, double now);

  AdmissionLimits limits_;
  std::unordered_map<uint64_t, double> slots_;  // worker id -> when its login started
  size_t reserved_ = 0;
  std::deque<WaitingConnection> queue_;   // new logins, oldest first
  std::deque<WaitingConnection> resume_;  // resumptions, oldest first
  unsigned turn_ = 0;                     // which lane the next free slot goes to
  AdmissionStats stats_;
};

}  // namespace sslvpn::mainproc
