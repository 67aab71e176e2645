#include "main/worker_routes.hpp"

namespace sslvpn::mainproc {
namespace {

using K = ipc::WorkerToMain;
constexpr uint8_t kAnyPhase = phase_bit(WorkerPhase::Login) | phase_bit(WorkerPhase::AwaitSession) |
                              phase_bit(WorkerPhase::ConnectScript) | phase_bit(WorkerPhase::Tunnel);

constexpr WorkerMainRoute kRoutes[] = {
    // Log lines at any time (their level and length are checked by the handler).
    {K::kLog, kAnyPhase, false, "sent an invalid log line"},
    // One session per connection: after the request main answers once, and a refused worker
    // stays in AwaitSession, so a second request is always a violation.
    {K::kSessionRequest, phase_bit(WorkerPhase::Login), false, "asked for a session twice"},
    {K::kSessionStats, phase_bit(WorkerPhase::Tunnel), false, "sent statistics without a tunnel"},
    {K::kSessionEnd, phase_bit(WorkerPhase::Tunnel), true, "ended a tunnel it did not have"},
    // GlobalProtect's hipreport.esp comes after getconfig, on the tunnel's connection.
    // Answers to datagrams main passed to be checked (a client's new address) exist only then.
    {K::kPathChecked, phase_bit(WorkerPhase::Tunnel), false, "checked a datagram without a tunnel"},
    {K::kHipReport, phase_bit(WorkerPhase::Tunnel), false, "sent a HIP report without a tunnel"},
};

}  // namespace

std::span<const WorkerMainRoute> worker_main_routes() {
  return kRoutes;
}

const char* check_worker_message(WorkerPhase phase, ipc::WorkerToMain::MsgCase kind, bool seen_once) {
  for (const auto& r : kRoutes) {
    if (r.kind != kind) continue;
    if (!(r.legal_phases & phase_bit(phase))) return r.violation;
    if (r.once && seen_once) return r.violation;
    return nullptr;
  }
  return "sent an empty or unknown message";
}

}  // namespace sslvpn::mainproc
