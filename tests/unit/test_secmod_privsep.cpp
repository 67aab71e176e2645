// sec-mod against a hostile worker: requests out of state, descriptors, garbage and signing
// floods are violations that sec-mod reports to main (which kills the worker).
#include <ev.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "sec-mod/plain_auth.hpp"
#include "sec-mod/sec_mod.hpp"
#include "tests/support/secmod_fixture.hpp"
#include "worker/openvpn/auth_token.hpp"

using namespace sslvpn;
using namespace sslvpn::secmod;
using sslvpn::testing::NullSink;
using sslvpn::testing::write_ecdsa_key;

namespace {

struct Harness {
  std::string dir;
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  NullSink sink;
  Logger log{&sink, 0};
  IpcChannel main_side;    // what main holds
  IpcChannel worker_side;  // what the worker holds
  std::unique_ptr<SecMod> sm;

  explicit Harness(bool with_otp = false, const std::string& extra = {}) {
    char tmpl[] = "/tmp/sslvpnd-secmod-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir + "/passwd") << "alice:staff:" << crypt_hash("pw", "$6$unit$") << "\n";
    // RFC 4226's secret: the first codes are 755224, 287082, ...
    std::ofstream(dir + "/otp") << "HOTP alice - 3132333435363738393031323334353637383930\n";
    std::string method = "plain[passwd=" + dir + "/passwd" + (with_otp ? ",otp=" + dir + "/otp" : "") + "]";
    std::string conf = "auth = \"" + method + "\"\nserver-cert = " + dir +
                       "/cert.pem\nserver-key = " + write_ecdsa_key(dir + "/key.pem", dir + "/cert.pem") +
                       "\n" + extra;
    Config cfg = parse_config(conf, "test", nullptr);
    auto mp = make_ipc_pair();
    REQUIRE(mp.ok());
    main_side = IpcChannel(std::move(mp->first));
    ServerKey key = ServerKey::load(cfg.server_key);
    sm = std::make_unique<SecMod>(loop, log, IpcChannel(std::move(mp->second)), std::move(cfg),
                                  std::move(key));
    REQUIRE(sm->start().ok());
    auto ready = main_side.recv<ipc::SecModToMain>(false);
    REQUIRE(ready.ok());
    REQUIRE(ready->first.msg_case() == ipc::SecModToMain::kReady);
    auto wp = make_ipc_pair();
    REQUIRE(wp.ok());
    worker_side = IpcChannel(std::move(wp->first));
    ipc::MainToSecMod attach;
    attach.mutable_attach_worker()->set_worker_id(7);
    attach.mutable_attach_worker()->set_client_ip("192.0.2.9");
    REQUIRE(main_side.send(attach, wp->second.get()).ok());
    spin();
  }
  // Main tells sec-mod worker 7 exited, and a new worker `id` from `ip` takes its place.
  void replace_worker(uint64_t id, const std::string& ip) {
    ipc::MainToSecMod detach;
    detach.mutable_detach_worker()->set_worker_id(7);
    REQUIRE(main_side.send(detach).ok());
    auto wp = make_ipc_pair();
    REQUIRE(wp.ok());
    worker_side = IpcChannel(std::move(wp->first));
    ipc::MainToSecMod attach;
    attach.mutable_attach_worker()->set_worker_id(id);
    attach.mutable_attach_worker()->set_client_ip(ip);
    REQUIRE(main_side.send(attach, wp->second.get()).ok());
    spin();
  }
  ~Harness() {
    sm.reset();
    ev_loop_destroy(loop);
    (void)std::system(("rm -rf " + dir).c_str());
  }
  void spin() {
    for (int i = 0; i < 10; ++i) ev_run(loop, EVRUN_NOWAIT);
  }
  // Sends m and waits (at most 5 s) for sec-mod's reply: signatures and password hashes come
  // back from its thread pool, so the loop is turned until the reply is there.
  ipc::SecModToWorker call(const ipc::WorkerToSecMod& m) {
    REQUIRE(worker_side.send(m).ok());
    for (int i = 0; i < 5000; ++i) {
      spin();
      auto r = worker_side.recv<ipc::SecModToWorker>(true);
      if (r.ok()) return r->first;
      REQUIRE(r.error() == Errc::Timeout);
      ::usleep(1000);
    }
    FAIL("no reply from sec-mod within 5 s");
    return {};
  }
  // The violation main was told about, if any (skipping auth events).
  std::optional<ipc::WorkerViolation> violation() {
    for (int i = 0; i < 8; ++i) {
      auto r = main_side.recv<ipc::SecModToMain>(true);
      if (!r.ok()) return std::nullopt;
      if (r->first.msg_case() == ipc::SecModToMain::kViolation) return r->first.violation();
    }
    return std::nullopt;
  }
  // main reloads sec-mod with `conf` (its own auth line); true when the keys loaded.
  bool reload(const std::string& extra) {
    ipc::MainToSecMod m;
    m.mutable_reload()->set_config_text("auth = \"plain[passwd=" + dir + "/passwd]\"\n" + extra);
    m.mutable_reload()->set_config_path("test");
    REQUIRE(main_side.send(m).ok());
    for (int i = 0; i < 2000; ++i) {
      spin();
      auto r = main_side.recv<ipc::SecModToMain>(true);
      if (r.ok() && r->first.msg_case() == ipc::SecModToMain::kReloaded)
        return r->first.reloaded().keys_loaded();
      ::usleep(1000);
    }
    FAIL("no reload reply from sec-mod");
    return false;
  }
  bool worker_channel_closed() {
    for (int i = 0; i < 4; ++i) {
      auto r = worker_side.recv_datagram(true);
      if (!r.ok() && r.error() == Errc::Closed) return true;
      if (!r.ok()) return false;
    }
    return false;
  }
};

ipc::WorkerToSecMod auth_init(const std::string& user, const std::string& pw) {
  ipc::WorkerToSecMod m;
  m.mutable_auth_init()->set_username(user);
  m.mutable_auth_init()->set_password(pw);
  m.mutable_auth_init()->set_has_password(true);
  return m;
}

ipc::WorkerToSecMod auth_continue(const std::string& context, const std::string& name,
                                  const std::string& value) {
  ipc::WorkerToSecMod m;
  m.mutable_auth_continue()->set_context(context);
  auto* a = m.mutable_auth_continue()->add_answers();
  a->set_name(name);
  a->set_value(value);
  return m;
}

ipc::WorkerToSecMod sign_request() {
  ipc::WorkerToSecMod m;
  m.mutable_sign()->set_kind(ipc::SignRequest::DATA);
  m.mutable_sign()->set_algorithm(GNUTLS_SIGN_ECDSA_SECP256R1_SHA256);
  m.mutable_sign()->set_data("to be signed");
  return m;
}

// The PEM file `path`.
std::string read_pem(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Whether `sig` over sign_request()'s data verifies with the certificate in `cert_path`.
bool verifies(const std::string& cert_path, const std::string& sig) {
  std::string pem = read_pem(cert_path);
  gnutls_x509_crt_t crt = nullptr;
  gnutls_pubkey_t pub = nullptr;
  gnutls_datum_t p{reinterpret_cast<unsigned char*>(pem.data()), static_cast<unsigned>(pem.size())};
  bool ok = gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_import(crt, &p, GNUTLS_X509_FMT_PEM) == 0 &&
            gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_x509(pub, crt, 0) == 0;
  std::string data = "to be signed";
  gnutls_datum_t dd{reinterpret_cast<unsigned char*>(data.data()), static_cast<unsigned>(data.size())};
  gnutls_datum_t sd{reinterpret_cast<unsigned char*>(const_cast<char*>(sig.data())),
                    static_cast<unsigned>(sig.size())};
  ok = ok && gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, 0, &dd, &sd) >= 0;
  if (pub != nullptr) gnutls_pubkey_deinit(pub);
  if (crt != nullptr) gnutls_x509_crt_deinit(crt);
  return ok;
}

// The key id a worker names for the certificate in `cert_path` (SHA-256 of its public key).
std::string key_id_of(const std::string& cert_path) {
  std::string pem = read_pem(cert_path);
  gnutls_x509_crt_t crt = nullptr;
  gnutls_datum_t p{reinterpret_cast<unsigned char*>(pem.data()), static_cast<unsigned>(pem.size())};
  unsigned char id[32];
  size_t size = sizeof id;
  bool ok = gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_import(crt, &p, GNUTLS_X509_FMT_PEM) == 0 &&
            gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id, &size) == 0;
  if (crt != nullptr) gnutls_x509_crt_deinit(crt);
  return ok ? std::string(reinterpret_cast<const char*>(id), size) : std::string();
}

}  // namespace

TEST_CASE("privsep: a login, then a second login on the same channel is a violation", "[secmod][privsep]") {
  Harness h;
  auto ok = h.call(auth_init("alice", "pw"));
  REQUIRE(ok.msg_case() == ipc::SecModToWorker::kAuth);
  CHECK(ok.auth().status() == ipc::AuthReply::SUCCESS);
  CHECK(ok.auth().cookie().size() == 64);
  CHECK(ok.auth().group() == "staff");

  REQUIRE(h.worker_side.send(auth_init("alice", "pw")).ok());
  h.spin();
  auto v = h.violation();
  REQUIRE(v.has_value());
  CHECK(v->worker_id() == 7);
  CHECK(h.worker_channel_closed());
}

TEST_CASE("privsep: three failures deny; a fourth try is a violation", "[secmod][privsep]") {
  Harness h;
  CHECK(h.call(auth_init("alice", "x")).auth().status() == ipc::AuthReply::RETRY);
  CHECK(h.call(auth_init("nobody", "x")).auth().status() == ipc::AuthReply::RETRY);
  CHECK(h.call(auth_init("alice", "y")).auth().status() == ipc::AuthReply::DENIED);
  REQUIRE(h.worker_side.send(auth_init("alice", "pw")).ok());
  h.spin();
  CHECK(h.violation().has_value());
}

TEST_CASE("privsep: signing works, within limits", "[secmod][privsep]") {
  Harness h;
  auto s = h.call(sign_request());
  REQUIRE(s.msg_case() == ipc::SecModToWorker::kSign);
  CHECK(s.sign().ok());
  CHECK(s.sign().signature().size() > 60);
  for (int i = 1; i < kSignBurst; ++i) CHECK(h.call(sign_request()).sign().ok());
  REQUIRE(h.worker_side.send(sign_request()).ok());  // one past the limit
  h.spin();
  CHECK(h.violation().has_value());
  CHECK(h.worker_channel_closed());
}

TEST_CASE("privsep: a second signature while one is in flight is a violation", "[secmod][privsep]") {
  // An honest worker waits for each signature (a TLS handshake needs one at a time); one that
  // piles them up would fill the shared signing lane and fail everyone's handshakes.
  Harness h;
  REQUIRE(h.worker_side.send(sign_request()).ok());
  REQUIRE(h.worker_side.send(sign_request()).ok());
  for (int i = 0; i < 2000 && !h.worker_channel_closed(); ++i) {
    h.spin();
    ::usleep(1000);
  }
  CHECK(h.violation().has_value());
}

TEST_CASE("privsep: a signature algorithm GnuTLS does not know is refused, not cast", "[secmod][privsep]") {
  Harness h;
  for (uint32_t algo : {0u, 47u, 1000u, 0xffffffffu}) {
    auto m = sign_request();
    m.mutable_sign()->set_algorithm(algo);
    auto r = h.call(m);
    REQUIRE(r.msg_case() == ipc::SecModToWorker::kSign);
    CHECK_FALSE(r.sign().ok());
  }
  CHECK(h.call(sign_request()).sign().ok());  // the worker may still sign properly
}

TEST_CASE("privsep: a host's second certificate pair signs with its own key; a pair it lacks, with none",
          "[secmod][privsep]") {
  char tmpl[] = "/tmp/sslvpnd-secmod-pair.XXXXXX";
  std::string d = ::mkdtemp(tmpl);
  Harness h(false, "server-cert = " + d + "/cert2.pem\nserver-key = " +
                       write_ecdsa_key(d + "/key2.pem", d + "/cert2.pem") + "\n");
  auto first = h.call(sign_request());
  REQUIRE(first.sign().ok());
  CHECK(verifies(h.dir + "/cert.pem", first.sign().signature()));
  CHECK_FALSE(verifies(d + "/cert2.pem", first.sign().signature()));
  auto m = sign_request();
  m.mutable_sign()->set_key_index(1);
  auto second = h.call(m);
  REQUIRE(second.sign().ok());
  CHECK(verifies(d + "/cert2.pem", second.sign().signature()));
  CHECK_FALSE(verifies(h.dir + "/cert.pem", second.sign().signature()));
  for (uint32_t index : {2u, 1000u, 0xffffffffu}) {  // no such pair: no signature, not a violation
    m.mutable_sign()->set_key_index(index);
    auto r = h.call(m);
    REQUIRE(r.msg_case() == ipc::SecModToWorker::kSign);
    CHECK_FALSE(r.sign().ok());
  }
  CHECK_FALSE(h.violation().has_value());
  CHECK(h.call(sign_request()).sign().ok());
  (void)std::system(("rm -rf " + d).c_str());
}

TEST_CASE("privsep: after a reload the old certificate's key still signs for the workers showing it",
          "[secmod][privsep]") {
  Harness h;
  char tmpl[] = "/tmp/sslvpnd-secmod-rotate.XXXXXX";
  std::string d = ::mkdtemp(tmpl);
  std::string old_cert = h.dir + "/cert.pem", old_id = key_id_of(old_cert);
  REQUIRE(old_id.size() == 32);
  auto with_id = [](const std::string& id) {
    auto m = sign_request();
    m.mutable_sign()->set_key_id(id);
    return m;
  };
  CHECK(verifies(old_cert, h.call(with_id(old_id)).sign().signature()));
  // The certificate and key are replaced (a renewal with a new key), again and again.
  std::vector<std::string> certs;
  for (size_t i = 0; i <= kMaxRetiredKeySets; ++i) {
    std::string c = d + "/cert" + std::to_string(i) + ".pem";
    std::string k = write_ecdsa_key(d + "/key" + std::to_string(i) + ".pem", c);
    REQUIRE(h.reload("server-cert = " + c + "\nserver-key = " + k + "\n"));
    certs.push_back(c);
    if (i > 0) continue;
    // Worker 7, attached before the reload, shows the old certificate: its key signs for it.
    auto old_sig = h.call(with_id(old_id));
    REQUIRE(old_sig.sign().ok());
    CHECK(verifies(old_cert, old_sig.sign().signature()));
    // New workers name the new certificate; without a key id the host's first pair signs.
    CHECK(verifies(c, h.call(with_id(key_id_of(c))).sign().signature()));
    CHECK(verifies(c, h.call(sign_request()).sign().signature()));
    // A key id of no certificate of ours signs nothing (not a violation).
    auto unknown = h.call(with_id(std::string(32, 'x')));
    REQUIRE(unknown.msg_case() == ipc::SecModToWorker::kSign);
    CHECK_FALSE(unknown.sign().ok());
  }
  // kMaxRetiredKeySets + 1 reloads later the first key is gone; the first reload's is kept.
  CHECK_FALSE(h.call(with_id(old_id)).sign().ok());
  CHECK(verifies(certs[0], h.call(with_id(key_id_of(certs[0]))).sign().signature()));
  // A worker attached well after those reloads was never shown a retired certificate: the
  // retired keys sign nothing for it; the current one does.
  ::usleep(static_cast<useconds_t>((kRetiredKeyGrace + 0.2) * 1e6));
  h.replace_worker(8, "192.0.2.9");
  CHECK_FALSE(h.call(with_id(key_id_of(certs[0]))).sign().ok());
  CHECK(verifies(certs.back(), h.call(with_id(key_id_of(certs.back()))).sign().signature()));
  CHECK_FALSE(h.violation().has_value());
  // An oversized key id is a violation, like oversized input.
  REQUIRE(h.worker_side.send(with_id(std::string(kMaxKeyId + 1, 'x'))).ok());
  h.spin();
  CHECK(h.violation().has_value());
  (void)std::system(("rm -rf " + d).c_str());
}

TEST_CASE("privsep: the signature budget is a rate (a long session may renegotiate)", "[secmod][privsep]") {
  SignBudget b(1000);
  for (int i = 0; i < kSignBurst; ++i) CHECK(b.take(1000));
  CHECK_FALSE(b.take(1000));                           // the burst is spent
  CHECK_FALSE(b.take(1000 + kSignRefillSeconds - 1));  // not yet earned
  CHECK(b.take(1000 + kSignRefillSeconds));            // one per minute
  CHECK_FALSE(b.take(1000 + kSignRefillSeconds));
  // An OpenVPN session renegotiating every hour for a day: never short.
  SignBudget hourly(0);
  for (int h = 0; h < 24; ++h) CHECK(hourly.take(h * 3600));
  // A worker idle for a long time gets back the burst, not more.
  SignBudget idle(0);
  CHECK(idle.take(0));
  for (int i = 0; i < kSignBurst; ++i) CHECK(idle.take(100000));
  CHECK_FALSE(idle.take(100000));
}

TEST_CASE("privsep: oversized sign input, descriptors and garbage are violations", "[secmod][privsep]") {
  {
    Harness h;
    auto big = sign_request();
    big.mutable_sign()->set_data(std::string(kMaxSignInput + 1, 'x'));
    REQUIRE(h.worker_side.send(big).ok());
    h.spin();
    CHECK(h.violation().has_value());
  }
  {
    Harness h;
    REQUIRE(h.worker_side.send(sign_request(), STDIN_FILENO).ok());
    h.spin();
    CHECK(h.violation().has_value());
  }
  {
    Harness h;
    const char junk[] = "\xff\xff\xff\xff\xff";
    REQUIRE(::send(h.worker_side.raw_fd(), junk, 5, 0) == 5);
    h.spin();
    CHECK(h.violation().has_value());
  }
  {
    Harness h;
    ipc::WorkerToSecMod empty_kind;
    empty_kind.mutable_sign();  // a oneof set, then cleared: MSG_NOT_SET on the wire
    empty_kind.clear_msg();
    const char one_unknown_field[] = "\x78\x01";  // field 15, varint: parses, names no request
    REQUIRE(::send(h.worker_side.raw_fd(), one_unknown_field, 2, 0) == 2);
    h.spin();
    CHECK(h.violation().has_value());
  }
}

TEST_CASE("privsep: a second form (OTP) is answered with AuthContinue", "[secmod][privsep][otp]") {
  Harness h(true);
  auto c = h.call(auth_init("alice", "pw"));
  REQUIRE(c.auth().status() == ipc::AuthReply::CONTINUE);
  CHECK(c.auth().context().size() == 64);
  REQUIRE(c.auth().form().fields_size() == 1);
  CHECK(c.auth().form().fields(0).name() == "secondary_password");
  auto wrong = h.call(auth_continue("", "secondary_password", "000000"));
  CHECK(wrong.auth().status() == ipc::AuthReply::RETRY);
  auto c2 = h.call(auth_init("alice", "pw"));
  REQUIRE(c2.auth().status() == ipc::AuthReply::CONTINUE);
  CHECK(c2.auth().context() != c.auth().context());  // each conversation has its own name
  auto ok = h.call(auth_continue("", "secondary_password", "755224"));
  CHECK(ok.auth().status() == ipc::AuthReply::SUCCESS);
  CHECK(ok.auth().group() == "staff");
}

TEST_CASE("privsep: AuthInit while a form is open is a violation", "[secmod][privsep][otp]") {
  Harness h(true);
  REQUIRE(h.call(auth_init("alice", "pw")).auth().status() == ipc::AuthReply::CONTINUE);
  REQUIRE(h.worker_side.send(auth_init("alice", "pw")).ok());
  h.spin();
  CHECK(h.violation().has_value());
}

TEST_CASE("privsep: a login resumes on a new connection from the same address only",
          "[secmod][privsep][otp]") {
  Harness h(true);
  auto c = h.call(auth_init("alice", "pw"));
  REQUIRE(c.auth().status() == ipc::AuthReply::CONTINUE);
  std::string ctx = c.auth().context();

  SECTION("same address: resumed") {
    h.replace_worker(8, "192.0.2.9");
    auto ok = h.call(auth_continue(ctx, "secondary_password", "755224"));
    CHECK(ok.auth().status() == ipc::AuthReply::SUCCESS);
    // The context is spent: a third connection cannot use it again.
    h.replace_worker(9, "192.0.2.9");
    CHECK(h.call(auth_continue(ctx, "secondary_password", "287082")).auth().status() ==
          ipc::AuthReply::RETRY);
  }
  SECTION("another address: refused, not resumed") {
    h.replace_worker(8, "198.51.100.7");
    CHECK(h.call(auth_continue(ctx, "secondary_password", "755224")).auth().status() ==
          ipc::AuthReply::RETRY);
  }
  SECTION("an unknown context: a fresh start, not a violation") {
    h.replace_worker(8, "192.0.2.9");
    CHECK(h.call(auth_continue(std::string(64, 'a'), "secondary_password", "755224")).auth().status() ==
          ipc::AuthReply::RETRY);
    CHECK_FALSE(h.violation().has_value());
  }
}

TEST_CASE("privsep: an OpenVPN login token logs in where the cookie is unknown, while it is fresh",
          "[secmod][privsep][token]") {
  std::string raw(sslvpn::ovpn::kAuthTokenKeyFile, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 13 + 5);
  char tmpl[] = "/tmp/sslvpnd-token-test.XXXXXX";
  std::string keyfile = std::string(::mkdtemp(tmpl)) + "/token.key";
  std::ofstream(keyfile) << sslvpn::ovpn::format_auth_token_secret(raw);
  Harness h(false, "openvpn-auth-token-secret = " + keyfile + "\nopenvpn-auth-token-lifetime = 100\n");
  auto first = h.call(auth_init("alice", "pw"));
  REQUIRE(first.auth().status() == ipc::AuthReply::SUCCESS);
  std::string token = first.auth().login_token();
  REQUIRE(!token.empty());
  auto key = sslvpn::ovpn::parse_auth_token_secret(sslvpn::ovpn::format_auth_token_secret(raw));
  REQUIRE(key.ok());
  auto with_token = [](const std::string& user, const std::string& t, const std::string& vhost = {}) {
    ipc::WorkerToSecMod m = auth_init(user, "");
    m.mutable_auth_init()->set_prior_cookie(std::string(64, 'a'));  // another server's cookie
    m.mutable_auth_init()->set_login_token(t);
    m.mutable_auth_init()->set_vhost(vhost);
    return m;
  };
  uint64_t next = 8;
  auto fresh_worker = [&] { h.replace_worker(next++, "192.0.2.10"); };
  fresh_worker();
  auto ok = h.call(with_token("alice", token));
  CHECK(ok.auth().status() == ipc::AuthReply::SUCCESS);
  CHECK(ok.auth().group() == "staff");
  CHECK(ok.auth().cookie().size() == 64);
  CHECK(ok.auth().cookie() != first.auth().cookie());  // a new session
  // Refused: another user's name, an expired token, a forged one, on a virtual host.
  time_t now = time(nullptr);
  for (const auto& [user, t, vhost] :
       {std::tuple<std::string, std::string, std::string>{"bob", token, ""},
        {"alice", sslvpn::ovpn::make_login_token(*key, "alice", "staff", static_cast<uint64_t>(now - 1000)),
         ""},
        {"alice", sslvpn::ovpn::make_login_token(*key, "alice", "staff", static_cast<uint64_t>(now + 1000)),
         ""},
        {"alice", token.substr(0, token.size() - 4) + "AAA=", ""},
        {"alice", token, "vpn.example.com"}}) {
    fresh_worker();
    auto r = h.call(with_token(user, t, vhost));
    CHECK(r.auth().status() != ipc::AuthReply::SUCCESS);
  }
}

TEST_CASE("privsep: a cookie check (a profile download) answers yes or no and logs nobody in",
          "[secmod][privsep]") {
  Harness h;
  auto first = h.call(auth_init("alice", "pw"));
  REQUIRE(first.auth().status() == ipc::AuthReply::SUCCESS);
  std::string cookie = first.auth().cookie();
  while (h.main_side.recv<ipc::SecModToMain>(true).ok()) {
  }  // the login's report to main
  h.replace_worker(8, "192.0.2.10");
  auto check = [](const std::string& c, const std::string& vhost = {}) {
    ipc::WorkerToSecMod m;
    m.mutable_auth_init()->set_prior_cookie(c);
    m.mutable_auth_init()->set_cookie_check(true);
    m.mutable_auth_init()->set_vhost(vhost);
    return m;
  };
  auto yes = h.call(check(cookie));
  CHECK(yes.auth().status() == ipc::AuthReply::SUCCESS);
  CHECK(yes.auth().username() == "alice");
  CHECK(yes.auth().cookie().empty());  // nothing issued
  CHECK(h.call(check(std::string(64, 'a'))).auth().status() == ipc::AuthReply::DENIED);
  CHECK(h.call(check(cookie, "vpn.example.com")).auth().status() == ipc::AuthReply::DENIED);
  h.spin();
  CHECK_FALSE(h.main_side.recv<ipc::SecModToMain>(true).ok());  // no login reported, no ban points
  // The channel's state is unchanged: a login may still follow on it.
  CHECK(h.call(auth_init("alice", "pw")).auth().status() == ipc::AuthReply::SUCCESS);
  // A fifth check on one connection is guessing: a violation.
  h.replace_worker(9, "192.0.2.10");
  for (int i = 0; i < kMaxCookieChecksPerWorker; ++i) (void)h.call(check(std::string(64, 'b')));
  REQUIRE(h.worker_side.send(check(std::string(64, 'b'))).ok());
  h.spin();
  CHECK(h.violation().has_value());
}
