// sslvpnd-collector: the NVM flow collector, started by main when nvm-collector-port is set.
//   fd 3: the channel to main (MainToCollector / CollectorToMain)
//   fd 4 and up: the UDP sockets main bound to nvm-collector-port (one per address family)
// It opens its store, then enters the sandbox (unprivileged, seccomp) before it reads a single
// datagram, and runs until main closes the channel.
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "common/sandbox.hpp"
#include "worker/nvm/collector.hpp"
#include "worker/nvm/collector_policy.hpp"

using namespace sslvpn;

namespace {
constexpr int kMainFd = 3;
constexpr int kFirstUdpFd = 4;
constexpr uint32_t kMaxUdpSockets = 3;
constexpr int kSecModFd = 7;  // with nvm-dtls: signatures for the DTLS handshakes
// Flows waiting for the store (its thread); beyond, dropped and counted.
constexpr size_t kMaxQueuedFlows = 262144;
#ifdef SSLVPND_SECCOMP_TRAP
constexpr bool kSeccompTrap = true;
#else
constexpr bool kSeccompTrap = false;
#endif
}  // namespace

int main() {
  StderrSink sink("collector");
  Logger log(&sink, static_cast<int>(LogLevel::Info));
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  IpcChannel main_ch{UniqueFd(kMainFd)};
  auto first = main_ch.recv<ipc::MainToCollector>(false);
  if (!first.ok() || first->first.msg_case() != ipc::MainToCollector::kStartup) {
    log.error("expected a startup message from main");
    return 1;
  }
  const ipc::CollectorStartup st = first->first.startup();
  log.set_max_level(st.log_level());
  std::vector<UniqueFd> udp;
  for (uint32_t i = 0; i < st.udp_sockets() && i < kMaxUdpSockets; ++i)
    udp.emplace_back(kFirstUdpFd + static_cast<int>(i));
  std::string error;
  std::unique_ptr<nvm::FlowStore> store;
  std::string gateway = st.gateway_name();
  if (gateway.empty()) {
    char host[256] = "";
    (void)::gethostname(host, sizeof host - 1);
    gateway = host;
  }
  ::umask(077);  // flows name people and what they did: the store is root's alone
  if (st.store().rfind("sqlite:", 0) == 0) {
    std::string path = st.store().substr(7);
    // The store's directory, when missing (a build tree's server without the package's
    // /var/lib/sslvpnd): made root's alone, like the file.
    if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
      (void)::mkdir(path.substr(0, slash).c_str(), 0700);
    auto s = nvm::open_sqlite_store(path, st.dst_index(), &error);
    if (!s) {
      log.error("nvm-store: ", error);
      return 1;
    }
    store = std::move(*s);
  } else if (st.store().rfind("postgresql:", 0) == 0) {
    // "postgresql:CONNINFO", or a URI as libpq takes it ("postgresql://user@host/db").
    std::string info = st.store().rfind("postgresql://", 0) == 0 ? st.store() : st.store().substr(11);
    auto s = nvm::open_postgres_store(info, gateway, &error);
    if (!s) {
      log.error("nvm-store: PostgreSQL: ", error);
      return 1;
    }
    store = std::move(*s);
  } else {
    log.error("nvm-store: unknown kind '", st.store(), "' (sqlite:PATH or postgresql:CONNINFO)");
    return 1;
  }
  // The pseudonym key is read now; then the store goes to its own thread, started before the
  // sandbox so that the filter covers it too.
  std::array<uint8_t, 32> key{};
  if (st.anonymize_users()) {
    auto k = store->pseudonym_key();
    if (!k) {
      log.error("nvm-store: cannot read or make the pseudonym key: ", store->last_error());
      return 1;
    }
    key = *k;
  }
  auto writer = std::make_unique<nvm::StoreWriter>(log, std::move(store), kMaxQueuedFlows);
  writer->start();
  // DTLS: the server's chain here, its key in sec-mod; the CA of exporters' certificates.
  std::unique_ptr<worker::SecModClient> secmod;
  std::unique_ptr<nvm::DtlsExporters> dtls;
  if (st.dtls()) {
    secmod = std::make_unique<worker::SecModClient>(IpcChannel(UniqueFd(kSecModFd)));
    auto d = nvm::DtlsExporters::create(st.cert_chain_pem(), st.dtls_ca_pem(), *secmod, {}, &error);
    if (!d) {
      log.error("nvm-dtls: ", error);
      return 1;
    }
    dtls = std::move(*d);
  }
  SandboxSpec spec;
  spec.uid = st.uid();
  spec.gid = st.gid();
  spec.max_fds = 16;
  bool network_store = st.store().rfind("postgresql:", 0) == 0;  // reconnects need socket/connect
  spec.policy = st.seccomp() ? &nvm::collector_seccomp_policy(network_store) : nullptr;
  spec.seccomp_trap = kSeccompTrap;
  spec.all_threads = true;  // the store's thread runs already
  if (std::string e = enter_sandbox(spec); !e.empty()) {
    log.error("cannot enter the sandbox: ", e);
    return 1;
  }
  // Rows name their gateway in a store that several gateways may share.
  nvm::Collector c(log, std::move(main_ch), std::move(udp), st, std::move(writer), key, std::move(dtls),
                   network_store ? gateway : std::string());
  log.info("collecting IPFIX", st.dtls() ? " over DTLS" : "", " on ", st.listen(), " into ", st.store());
  return c.run();
}
