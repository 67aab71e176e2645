// sec-mod's worker dispatch with its states, driven by a hostile worker: each input is a
// sequence of datagrams (2-byte length, then the bytes, sent as they are: garbage, valid
// envelopes in any order, sign floods, logins and answers). sec-mod must answer, report a
// violation to main, or drop the worker, and never crash or hang. One sec-mod for the whole
// run (a temp dir with a password file and a key); a fresh worker channel per input.
#include <ev.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <google/protobuf/stubs/logging.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/sec_mod.hpp"
#include "tests/support/secmod_fixture.hpp"

using namespace sslvpn;
using namespace sslvpn::secmod;
using sslvpn::testing::NullSink;
using sslvpn::testing::write_ecdsa_key;

namespace {

struct World {
  NullSink sink;
  Logger log{&sink, 0};
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  IpcChannel main_side;
  std::unique_ptr<SecMod> sm;
  uint64_t next_id = 1;

  World() {
    char tmpl[] = "/tmp/sslvpnd-fuzz-secmod.XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    // A cheap hash (sha256-crypt, 1000 rounds): the fuzzer should spend its time on dispatch.
    std::ofstream(dir + "/passwd") << "alice:staff:" << crypt_hash("pw", "$5$rounds=1000$fuzz$") << "\n";
    std::ofstream(dir + "/otp") << "HOTP alice - 3132333435363738393031323334353637383930\n";
    std::string conf = "auth = \"plain[passwd=" + dir + "/passwd,otp=" + dir +
                       "/otp]\"\nserver-cert = " + dir + "/cert.pem\n" +
                       "server-key = " + write_ecdsa_key(dir + "/key.pem", dir + "/cert.pem") + "\n";
    Config cfg = parse_config(conf, "fuzz", nullptr);
    auto mp = make_ipc_pair();
    if (!mp.ok()) std::abort();
    main_side = IpcChannel(std::move(mp->first));
    ServerKey key = ServerKey::load(cfg.server_key);
    sm = std::make_unique<SecMod>(loop, log, IpcChannel(std::move(mp->second)), std::move(cfg),
                                  std::move(key));
    if (!sm->start().ok()) std::abort();
    drain_main();
  }
  void spin() {
    for (int i = 0; i < 8; ++i) ev_run(loop, EVRUN_NOWAIT);
  }
  // Waits (at most 5 s) until no pool thread works for this input: a hash still running when
  // the process exits races libcrypto's exit handlers (a crash that is not sec-mod's).
  void settle() {
    for (int i = 0; i < 5000 && sm->crypto_unfinished() != 0; ++i) {
      ::usleep(1000);
      ev_run(loop, EVRUN_NOWAIT);
    }
    if (sm->crypto_unfinished() != 0) std::abort();  // a job that never ends is a hang
  }
  void drain_main() {
    for (int i = 0; i < 256; ++i) {
      auto r = main_side.recv<ipc::SecModToMain>(true);
      if (!r.ok()) break;
    }
  }
};

}  // namespace

// protobuf logs every string field that is not UTF-8; the fuzzer makes thousands a second.
[[maybe_unused]] static const bool kQuietProtobuf = (google::protobuf::SetLogHandler(nullptr), true);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  static World* w = new World();  // lives for the whole run
  auto wp = make_ipc_pair();
  if (!wp.ok()) return 0;
  IpcChannel worker(std::move(wp->first));
  uint64_t id = w->next_id++;
  ipc::MainToSecMod attach;
  attach.mutable_attach_worker()->set_worker_id(id);
  attach.mutable_attach_worker()->set_client_ip("192.0.2.9");
  if (!w->main_side.send(attach, wp->second.get()).ok()) std::abort();
  wp->second.reset();
  w->spin();
  size_t i = 0;
  for (int msgs = 0; msgs < 16 && i + 2 <= n; ++msgs) {
    size_t len = (static_cast<size_t>(d[i]) << 8) | d[i + 1];
    i += 2;
    if (len > n - i) len = n - i;
    std::string bytes(reinterpret_cast<const char*>(d + i), len);
    i += len;
    if (bytes.empty() || !worker.send_datagram(bytes, -1, true).ok()) break;
    w->spin();
    for (int k = 0; k < 8; ++k)  // read what sec-mod answered, as a worker would
      if (!worker.recv_datagram(true).ok()) break;
  }
  ipc::MainToSecMod detach;
  detach.mutable_detach_worker()->set_worker_id(id);
  if (!w->main_side.send(detach).ok()) std::abort();
  w->spin();
  w->settle();
  w->drain_main();
  return 0;
}
