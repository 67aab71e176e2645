// Sends the sandboxed worker's log lines to main, which validates and re-emits them
// (STYLE rule 21). Before main's channel is usable, lines go to stderr.
#pragma once

#include "common/ipc_channel.hpp"
#include "common/log.hpp"

namespace sslvpn::worker {

class IpcLogSink final : public LogSink {
 public:
  explicit IpcLogSink(IpcChannel& main) : main_(main) {}
  void emit(LogLevel level, std::string_view line) override;

 private:
  IpcChannel& main_;
};

}  // namespace sslvpn::worker
