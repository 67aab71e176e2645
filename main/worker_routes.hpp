// Which messages main accepts from a worker in which phase of its life (STYLE rule 5): the
// legal states are data, as in sec-mod's kWorkerRoutes. Anything else is a violation, and the
// worker is killed. A pure table and check, with no I/O: unit-tested and fuzzed.
#pragma once

#include <cstdint>
#include <span>

#include "ipc.pb.h"

namespace sslvpn::mainproc {

// Where a worker is in its life; each phase admits a fixed set of messages.
enum class WorkerPhase : uint8_t {
  Login = 1,          // HTTP and login; may ask for a session once
  AwaitSession = 2,   // SessionOpen is with sec-mod
  ConnectScript = 4,  // the connect-script runs
  Tunnel = 8,         // the tunnel runs; reports stats and its end
};

constexpr uint8_t phase_bit(WorkerPhase p) {
  return static_cast<uint8_t>(p);
}

struct WorkerMainRoute {
  ipc::WorkerToMain::MsgCase kind;
  uint8_t legal_phases;   // bitwise OR of WorkerPhase values
  bool once;              // at most one per worker (SessionEnd)
  const char* violation;  // why the worker is killed when it sends this out of phase
};

std::span<const WorkerMainRoute> worker_main_routes();

// nullptr if `kind` is legal in `phase` (`seen_once`: a once-only message already came), else
// the reason to kill the worker.
const char* check_worker_message(WorkerPhase phase, ipc::WorkerToMain::MsgCase kind, bool seen_once);

}  // namespace sslvpn::mainproc
