// Serves one client connection in the pre-tunnel phase: HTTP requests over TLS, driven through
// the engine the first request chose (AnyConnect's AuthFlow, GlobalProtect's GpFlow), until the
// client leaves, the login ends, the tunnel ends, or auth-timeout passes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "worker/anyconnect/auth_flow.hpp"
#include "worker/anyconnect/connect_reply.hpp"
#include "worker/anyconnect/dtls_channel.hpp"
#include "worker/gp/gp_flow.hpp"
#include "worker/http/camouflage.hpp"
#include "worker/http/http_request.hpp"
#include "worker/http/router.hpp"
#include "worker/secmod_client.hpp"
#include "worker/tls_server.hpp"

namespace sslvpn::worker {

class Connection {
 public:
  // `gp` unset: GlobalProtect is off (globalprotect = false).
  Connection(Logger& log, TlsServer& tls, SecModClient& secmod, IpcChannel& main,
             anyconnect::AuthSettings settings, std::optional<gp::GpSettings> gp,
             std::chrono::steady_clock::time_point deadline, bool client_ipv6,
             http::Camouflage camouflage = {}, std::vector<std::string> http_headers = {})
      : log_(log),
        tls_(tls),
        secmod_(secmod),
        main_(main),
        flow_(std::move(settings)),
        gp_(gp ? std::optional<gp::GpFlow>(std::move(*gp)) : std::nullopt),
        deadline_(deadline),
        client_ipv6_(client_ipv6),
        camouflage_(std::move(camouflage)),
        http_headers_(std::move(http_headers)) {}

  // Runs until the connection should close.
  void run();

 private:
  // Reads until `buf_` holds a whole request; false when the connection should end.
  bool read_request(http::Parsed* out);
  bool carry_out(anyconnect::Step step);
  // Sends an answer; false when it could not, or when camouflage (before the secret was seen)
  // made a refusal a plain 405: the connection then ends.
  bool send_reply(http::Response r);
  // Camouflage's gate for a request: true when it may go on (its target without the secret).
  bool camouflage_gate(http::Request& req);
  // Asks main for the tunnel of `req`; nullopt (after telling the log why) when main failed.
  std::optional<std::pair<ipc::SessionReply, UniqueFd>> ask_session(ipc::SessionRequest& req);
  // GlobalProtect (worker/gp/gp_shell.cpp): carries out the flow's steps; false to close.
  bool carry_out_gp(gp::Step step);
  void gp_getconfig(gp::Step& step);
  void gp_tunnel(gp::Step& step);
  // The gw-address GlobalProtect clients probe: the server address they connected to (IPv4),
  // else the tunnel's server address.
  std::string gp_gateway_address(const ipc::TunnelParams& p) const;
  // Runs a granted tunnel to its end and tells main how it ended (every protocol).
  void run_tunnel(tunnel::TunnelEngine& engine, UniqueFd tun, const ipc::TunnelParams& p,
                  std::unique_ptr<tunnel::DatagramFactory> datagrams);
  // CONNECT: asks main for the tunnel, answers the client and runs the tunnel to its end.
  void connect(ipc::SessionRequest& req, anyconnect::DtlsOffer& offer);
  // The DTLS mode for this tunnel (PSK, legacy, or none) and the headers that announce it.
  std::optional<DtlsSetup> choose_dtls(const ipc::TunnelParams& p, anyconnect::DtlsOffer& offer,
                                       cstp::DtlsReply* reply);
  int remaining_ms() const;

  Logger& log_;
  TlsServer& tls_;
  SecModClient& secmod_;
  IpcChannel& main_;
  anyconnect::AuthFlow flow_;
  std::optional<gp::GpFlow> gp_;
  http::Engine engine_ = http::Engine::None;  // chosen by the connection's first request
  std::chrono::steady_clock::time_point deadline_;
  bool client_ipv6_;  // the client's transport address family (for UDP MTU arithmetic)
  http::Limits limits_;
  std::string buf_;
  bool refused_unread_ = false;  // an error answer went out while request bytes may be unread
  http::Camouflage camouflage_;
  bool camouflage_passed_ = false;         // this connection's first request carried the secret
  std::vector<std::string> http_headers_;  // included-http-headers: every answer carries them
  bool head_request_ = false;              // the request being answered is a HEAD: no body
  std::string wire(const http::Response& r) const;
};

}  // namespace sslvpn::worker
