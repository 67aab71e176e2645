// Serves one client connection in the pre-tunnel phase: HTTP requests over TLS, driven through
// AuthFlow, until the client leaves, the login ends, or auth-timeout passes.
#pragma once

#include <chrono>
#include <string>

#include "common/log.hpp"
#include "worker/anyconnect/auth_flow.hpp"
#include "worker/http/http_request.hpp"
#include "worker/secmod_client.hpp"
#include "worker/tls_server.hpp"

namespace sslvpn::worker {

class Connection {
 public:
  Connection(Logger& log, TlsServer& tls, SecModClient& secmod, anyconnect::AuthSettings settings,
             std::chrono::steady_clock::time_point deadline)
      : log_(log), tls_(tls), secmod_(secmod), flow_(std::move(settings)), deadline_(deadline) {}

  // Runs until the connection should close.
  void run();

 private:
  // Reads until `buf_` holds a whole request; false when the connection should end.
  bool read_request(http::Parsed* out);
  bool carry_out(anyconnect::Step step);
  int remaining_ms() const;

  Logger& log_;
  TlsServer& tls_;
  SecModClient& secmod_;
  anyconnect::AuthFlow flow_;
  std::chrono::steady_clock::time_point deadline_;
  http::Limits limits_;
  std::string buf_;
};

}  // namespace sslvpn::worker
