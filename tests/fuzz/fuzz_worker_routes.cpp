// main's worker-message route table driven by a hostile worker: the input is a sequence of
// (phase, envelope) pairs, each envelope parsed as main parses it. The check must give an
// answer for anything and agree with the table; no message is legal after a violation-free
// SessionEnd is repeated.
#include <google/protobuf/stubs/logging.h>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "main/worker_routes.hpp"

using namespace sslvpn::mainproc;

// protobuf logs every string field that is not UTF-8; the fuzzer makes thousands a second.
[[maybe_unused]] static const bool kQuietProtobuf = (google::protobuf::SetLogHandler(nullptr), true);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  bool ended = false;
  size_t i = 0;
  for (int steps = 0; steps < 64 && i + 2 <= n; ++steps) {
    auto phase = static_cast<WorkerPhase>(1u << (d[i] & 3));
    size_t len = d[i + 1];
    i += 2;
    if (len > n - i) len = n - i;
    sslvpn::ipc::WorkerToMain m;
    bool parsed = m.ParseFromArray(d + i, static_cast<int>(len));
    i += len;
    if (!parsed) continue;  // main kills the worker for an unreadable message
    const char* why = check_worker_message(phase, m.msg_case(), ended);
    if (m.msg_case() == sslvpn::ipc::WorkerToMain::MSG_NOT_SET && why == nullptr) std::abort();
    if (why == nullptr && m.msg_case() == sslvpn::ipc::WorkerToMain::kSessionEnd) {
      if (ended || phase != WorkerPhase::Tunnel) std::abort();
      ended = true;
    }
  }
  return 0;
}
