// sslvpnd-secmod: started by sslvpnd (main) with fd 3 = IPC channel to main.
// Receives the configuration as its first message, loads the key, then serves workers.
#include <ev.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>

#include "common/config.hpp"
#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "ipc.pb.h"
#include "sec-mod/sec_mod.hpp"

using namespace sslvpn;

namespace {
constexpr int kMainFd = 3;
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  StderrSink sink("sec-mod");
  Logger log(&sink, static_cast<int>(LogLevel::Info));
  // Dies with main: sec-mod has no purpose without it.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  ::prctl(PR_SET_DUMPABLE, 0);  // holds the key: no core dumps, no ptrace by same-uid processes
  IpcChannel main_ch{UniqueFd(kMainFd)};
  // Main stops once this channel closes, and takes sec-mod with it (the death signal above): a
  // second descriptor keeps the channel open until a startup error (one thrown while SecMod
  // holds the channel, e.g. a key that does not fit its certificate) has been logged.
  UniqueFd hold_main_open(::fcntl(kMainFd, F_DUPFD_CLOEXEC, 0));
  try {
    auto first = main_ch.recv<ipc::MainToSecMod>(false);
    if (!first.ok() || first->first.msg_case() != ipc::MainToSecMod::kStartup) {
      log.error("expected a startup message from main");
      return 1;
    }
    const auto& st = first->first.startup();
    log.set_max_level(st.log_level());
    SyslogSink syslog_sink("sslvpnd");
    if (st.use_syslog()) log.set_sink(&syslog_sink);
    Config cfg = parse_config(st.config_text(), st.config_path(), nullptr);
    if (gnutls_global_init() < 0) {
      log.error("gnutls_global_init failed");
      return 1;
    }
    secmod::ServerKey key = secmod::ServerKey::load(cfg.server_key, secmod::ServerKey::pin_of(cfg));
    if (key.fast_rsa()) log.debug("RSA signatures are made with libcrypto");
    struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
    secmod::SecMod sm(loop, log, std::move(main_ch), std::move(cfg), std::move(key));
    if (auto r = sm.start(); !r) {
      log.error("cannot talk to main: ", errc_name(r.error()));
      return 1;
    }
    log.debug("ready");
    ev_run(loop, 0);
  } catch (const std::exception& e) {
    log.error(e.what());
    return 1;
  }
  return 0;
}
