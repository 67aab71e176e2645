#include "worker/ipc_log_sink.hpp"

#include "ipc.pb.h"

namespace sslvpn::worker {

// Lines longer than this are cut: main refuses longer ones (worker_registry.cpp).
constexpr size_t kMaxLogLine = 2048;

void IpcLogSink::emit(LogLevel level, std::string_view line) {
  ipc::WorkerToMain m;
  m.mutable_log()->set_level(static_cast<int>(level));
  m.mutable_log()->set_text(std::string(line.substr(0, kMaxLogLine)));
  (void)main_.send(m);
}

}  // namespace sslvpn::worker
