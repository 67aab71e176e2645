#include <catch2/catch.hpp>

#include <set>

#include "main/worker_routes.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;
using K = ipc::WorkerToMain;

namespace {

// Every kind of the envelope. The switch fails to compile (-Werror=switch) when the schema
// gains a kind this list does not name, so a new message cannot go unrouted.
constexpr K::MsgCase kKinds[] = {K::kLog,        K::kSessionRequest, K::kSessionStats,
                                 K::kSessionEnd, K::kHipReport,      K::kPathChecked};
[[maybe_unused]] constexpr bool listed(K::MsgCase k) {
  switch (k) {
    case K::kLog:
    case K::kSessionRequest:
    case K::kSessionStats:
    case K::kSessionEnd:
    case K::kHipReport:
    case K::kPathChecked:
      return true;
    case K::MSG_NOT_SET:
      return false;
  }
  return false;
}
constexpr WorkerPhase kPhases[] = {WorkerPhase::Login, WorkerPhase::AwaitSession, WorkerPhase::ConnectScript,
                                   WorkerPhase::Tunnel};

}  // namespace

TEST_CASE("worker routes: every kind is routed exactly once", "[routes]") {
  std::multiset<int> routed;
  for (const auto& r : worker_main_routes()) routed.insert(r.kind);
  for (auto k : kKinds) CHECK(routed.count(k) == 1);
  CHECK(routed.size() == std::size(kKinds));
  CHECK(routed.count(K::MSG_NOT_SET) == 0);
}

TEST_CASE("worker routes: the legal phases, and every other phase kills the worker", "[routes]") {
  auto legal = [](WorkerPhase p, K::MsgCase k) {
    switch (k) {
      case K::kLog:
        return true;
      case K::kSessionRequest:
        return p == WorkerPhase::Login;
      case K::kSessionStats:
      case K::kSessionEnd:
      case K::kHipReport:
      case K::kPathChecked:
        return p == WorkerPhase::Tunnel;
      case K::MSG_NOT_SET:
        return false;
    }
    return false;
  };
  int illegal = 0;
  for (auto p : kPhases)
    for (auto k : kKinds) {
      const char* why = check_worker_message(p, k, false);
      INFO("phase " << static_cast<int>(p) << " kind " << static_cast<int>(k));
      CHECK((why == nullptr) == legal(p, k));
      if (why != nullptr) {
        CHECK(std::string(why).size() > 5);  // a reason for the log
        ++illegal;
      }
    }
  CHECK(illegal == 15);  // 4 phases x 6 kinds, 9 legal
  for (auto p : kPhases) CHECK(check_worker_message(p, K::MSG_NOT_SET, false) != nullptr);
  // An unknown kind (a newer schema's field number) is refused too.
  CHECK(check_worker_message(WorkerPhase::Tunnel, static_cast<K::MsgCase>(99), false) != nullptr);
}

TEST_CASE("worker routes: a tunnel ends once", "[routes]") {
  CHECK(check_worker_message(WorkerPhase::Tunnel, K::kSessionEnd, false) == nullptr);
  CHECK(check_worker_message(WorkerPhase::Tunnel, K::kSessionEnd, true) != nullptr);
  CHECK(check_worker_message(WorkerPhase::Tunnel, K::kSessionStats, true) == nullptr);
}
