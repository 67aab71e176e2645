// The OpenVPN worker's shell: from the client's first packet to the end of its tunnel. It
// drives the control channel until the key-method-2 exchange, logs the user in through sec-mod,
// answers PUSH_REQUEST with what main granted (or AUTH_FAILED), derives the data keys from the
// TLS exporter and hands the session to the generic tunnel loop.
#pragma once

#include <chrono>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "ipc.pb.h"
#include "worker/secmod_client.hpp"
#include "worker/tls_server.hpp"

namespace sslvpn::worker {

// `tls` was made before the sandbox on no socket; `client_fd` is the client's TCP connection
// or the UDP socket main connected to it.
void run_openvpn(Logger& log, const ipc::WorkerStartup& st, TlsServer& tls, SecModClient& secmod,
                 IpcChannel& main, int client_fd, std::chrono::steady_clock::time_point deadline);

}  // namespace sslvpn::worker
