// sslvpnd-worker: one per client connection, forked by the zygote (`sslvpnd-worker --zygote`,
// see zygote.hpp) or started by main, with
//   fd 3 = IPC to main, fd 4 = IPC to sec-mod, fd 5 = the client's TCP socket.
// It reads its startup message, prepares TLS, confines itself, and only then talks to the client.
#include <gnutls/gnutls.h>
#include <gnutls/pkcs11.h>
#include <libxml/parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "ipc.pb.h"
#include "worker/connection.hpp"
#include "worker/ipc_log_sink.hpp"
#include "worker/openvpn/ovpn_shell.hpp"
#include "worker/seccomp_policy.hpp"
#include "worker/secmod_client.hpp"
#include "worker/tls_server.hpp"
#include "worker/zygote.hpp"

using namespace sslvpn;

namespace {

uint32_t cert_login(const ipc::WorkerStartup& st, size_t host) {
  return host == 0 ? st.cert_login() : st.vhosts(static_cast<int>(host - 1)).cert_login();
}

constexpr int kMainFd = 3;
constexpr int kSecModFd = 4;
constexpr int kClientFd = 5;

#ifdef SSLVPND_SECCOMP_TRAP
constexpr bool kSeccompTrap = true;
#else
constexpr bool kSeccompTrap = false;
#endif

// The login page of the host the handshake chose: index 0 is the default, i the (i-1)th vhost.
anyconnect::AuthSettings auth_settings(const ipc::WorkerStartup& st, size_t host) {
  const ipc::AnyConnectStartup& ac =
      host == 0 ? st.https().anyconnect() : st.vhosts(static_cast<int>(host - 1)).anyconnect();
  anyconnect::AuthSettings s;
  if (!ac.default_group_label().empty())
    s.groups.push_back({ac.default_group_label(), ac.default_group_label()});
  for (const auto& g : ac.groups()) s.groups.push_back({g.name(), g.label()});
  s.banner = ac.banner();
  s.pre_login_banner = ac.pre_login_banner();
  s.cert_login = cert_login(st, host);
  s.custom_headers.assign(ac.custom_headers().begin(), ac.custom_headers().end());
  s.group_by_url = ac.select_group_by_url();
  s.profile_name = ac.profile_name();
  s.profile_xml = ac.profile_xml();
  s.profile_sha1 = ac.profile_sha1();
  return s;
}

std::optional<gp::GpSettings> gp_settings(const ipc::WorkerStartup& st, size_t host) {
  if (!st.https().has_globalprotect()) return std::nullopt;
  const ipc::GlobalProtectStartup& g = st.https().globalprotect();
  gp::GpSettings s;
  s.portal = g.portal();
  s.gateways.assign(g.gateways().begin(), g.gateways().end());
  s.hip_report = g.hip_report();
  if (!g.portal_name().empty()) s.portal_name = g.portal_name();
  s.server_name = g.server_name();
  s.cert_login = cert_login(st, host);
  s.local_ip = st.local_ip();
  return s;
}

}  // namespace

// `seccomp`: the workers' policy compiled by the zygote, or null (compiled here if needed);
// `chains`: the certificate chains the zygote parsed, or null.
int run_worker(const SeccompProgram* seccomp, worker::PreparedChains* chains) {
  StderrSink early("worker");
  Logger log(&early, static_cast<int>(LogLevel::Info));
  IpcChannel main_ch{UniqueFd(kMainFd)};
  auto first = main_ch.recv<ipc::MainToWorker>(false);
  if (!first.ok() || first->first.msg_case() != ipc::MainToWorker::kStartup) {
    log.error("expected a startup message from main: ",
              first.ok() ? "wrong message" : errc_name(first.error()));
    return 1;
  }
  const ipc::WorkerStartup st = first->first.startup();
  bool openvpn = st.protocol_case() == ipc::WorkerStartup::kOpenvpn;
  if (st.protocol_case() != ipc::WorkerStartup::kHttps && !openvpn) {
    log.error("unknown protocol in the startup message (case ", static_cast<int>(st.protocol_case()), ")");
    return 1;
  }
  worker::IpcLogSink sink(main_ch);
  log.set_sink(&sink);
  log.set_max_level(st.log_level());

  // Everything that reads files or parses configuration happens before the sandbox.
  int one = 1;
  (void)::setsockopt(kClientFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  worker::SecModClient secmod{IpcChannel(UniqueFd(kSecModFd))};
  std::string error;
  // OpenVPN runs TLS over its own control channel: the session is on no socket.
  auto tls = worker::TlsServer::create(openvpn ? -1 : kClientFd, st.cert_chain_pem(), st.tls_priorities(),
                                       secmod, st.cert_login() != 0, &error, st.tls_ticket_key(),
                                       st.tls_ticket_lifetime_s(), chains);
  if (!tls.ok()) {
    log.error(error);
    return 1;
  }
  for (const auto& chain : st.more_cert_chains()) {
    if (auto r = (*tls)->add_chain(0, chain, &error); !r) {
      log.error("a further server-cert: ", error);
      return 1;
    }
  }
  if (!st.ocsp_response().empty() && !(*tls)->staple_ocsp(0, st.ocsp_response()))
    log.warn("ocsp-response: GnuTLS did not take it; no OCSP response is stapled");
  for (const auto& v : st.vhosts()) {
    if (auto r = (*tls)->add_virtual_host(v.name(), v.cert_chain_pem(), v.tls_priorities(),
                                          v.cert_login() != 0, &error);
        !r) {
      log.error("[vhost:", v.name(), "]: ", error);
      return 1;
    }
    for (const auto& chain : v.more_cert_chains()) {
      if (auto r = (*tls)->add_chain((*tls)->host_count() - 1, chain, &error); !r) {
        log.error("[vhost:", v.name(), "]: a further server-cert: ", error);
        return 1;
      }
    }
    if (!v.ocsp_response().empty() && !(*tls)->staple_ocsp((*tls)->host_count() - 1, v.ocsp_response()))
      log.warn("[vhost:", v.name(), "]: ocsp-response: GnuTLS did not take it; no OCSP response is stapled");
  }
  if (auto r = (*tls)->ready(&error); !r) {
    log.error(error);
    return 1;
  }
  SandboxSpec spec;
  spec.uid = st.uid();
  spec.gid = st.gid();
  spec.chroot_dir = st.chroot_dir();
  spec.max_fds = 64;  // the inherited channels plus what the tunnel receives (TUN, UDP sockets)
  spec.policy = st.seccomp() ? &worker::worker_seccomp_policy() : nullptr;
  spec.compiled = seccomp;
  spec.seccomp_trap = kSeccompTrap;
  if (std::string e = enter_sandbox(spec); !e.empty()) {
    log.error("cannot enter the sandbox: ", e);
    return 1;
  }

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(st.auth_timeout_s());
  if (openvpn) {
    worker::run_openvpn(log, st, **tls, secmod, main_ch, kClientFd, deadline);
    return 0;
  }
  auto budget =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (auto r = (*tls)->handshake(static_cast<int>(budget.count()), &error); !r) {
    log.info("TLS handshake failed: ", error);
    return 0;
  }
  log.debug("TLS established: ", (*tls)->description());
  size_t host = (*tls)->vhost_index();
  if (host != 0) log.debug("virtual host ", (*tls)->vhost(), " (TLS server name)");
  secmod.set_vhost((*tls)->vhost());
  anyconnect::AuthSettings settings = auth_settings(st, host);
  if (settings.cert_login != 0) settings.client_certs = (*tls)->peer_certificates();
  std::optional<gp::GpSettings> gp = gp_settings(st, host);
  if (gp && gp->cert_login != 0) gp->client_certs = settings.client_certs;
  const ipc::AnyConnectStartup& ac =
      host == 0 ? st.https().anyconnect() : st.vhosts(static_cast<int>(host - 1)).anyconnect();
  worker::Connection conn(log, **tls, secmod, main_ch, std::move(settings), std::move(gp), deadline,
                          st.client_ip().find(':') != std::string::npos,
                          http::Camouflage{ac.camouflage_secret(), ac.camouflage_realm()},
                          std::vector<std::string>(ac.http_headers().begin(), ac.http_headers().end()));
  conn.run();
  return 0;
}

// Libraries every worker needs, initialized once: in the zygote before it forks workers, or in
// a worker started on its own.
bool init_libraries() {
  // No PKCS#11 modules: the worker has no token to talk to (its key is in sec-mod), and loading
  // p11-kit's modules costs memory in every worker.
  (void)gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, nullptr);
  if (gnutls_global_init() < 0) return false;
  xmlInitParser();
  return true;
}

int main(int argc, char** argv) {
  if (!init_libraries()) return 1;
  if (argc == 2 && std::string(argv[1]) == "--zygote") {
    // Compiled once here, loaded by each worker (a failure here: each worker compiles again,
    // and reports the error if it fails there too).
    std::string error;
    SeccompProgram seccomp = SeccompProgram::compile(worker::worker_seccomp_policy(), kSeccompTrap, &error);
    return worker::run_zygote(
        kMainFd, [&seccomp](worker::PreparedChains* chains) { return run_worker(&seccomp, chains); });
  }
  return run_worker(nullptr, nullptr);
}
