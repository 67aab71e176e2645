#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include "sec-mod/cookie_db.hpp"
#include "sec-mod/otp_file.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/sec_mod.hpp"

using namespace sslvpn;
using namespace sslvpn::secmod;

TEST_CASE("cookies: unique, bound to user and group, expire", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c1 = db.issue("alice", "staff", 1000);
  std::string c2 = db.issue("alice", "staff", 1000);
  CHECK(c1.size() == 64);
  CHECK(c1 != c2);
  const CookieEntry* e = db.find(c1, 1299);
  REQUIRE(e != nullptr);
  CHECK(e->user == "alice");
  CHECK(e->group == "staff");
  CHECK(db.find(c1, 1300) == nullptr);
  CHECK(db.find("00" + c1.substr(2), 1000) == nullptr);
  CHECK(db.find("", 1000) == nullptr);
  CHECK(db.purge(1300).size() == 2);
  CHECK(db.size() == 0);
}

TEST_CASE("cookies: a tunnel keeps its cookie alive; detach restarts the timeout", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c = db.issue("alice", "staff", 1000);
  const CookieEntry* e = db.open(c, 1100);
  REQUIRE(e != nullptr);
  uint64_t sid = e->session_id;
  CHECK(sid != 0);
  CHECK(db.purge(5000).empty());  // in use: never expires
  CHECK(db.find(c, 5000) != nullptr);
  db.detach(sid, false, 5000);  // client gone: cookie-timeout from now
  CHECK(db.find(c, 5299) != nullptr);
  CHECK(db.open(c, 5200)->session_id == sid);  // the reconnect gets the same session
  db.detach(sid, false, 5200);
  auto gone = db.purge(5500);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == sid);
  CHECK(db.open(c, 5500) == nullptr);
}

TEST_CASE("cookies: logout kills the cookie at once", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c = db.issue("bob", "", 1000);
  uint64_t sid = db.open(c, 1000)->session_id;
  db.detach(sid, true, 1001);
  CHECK(db.find(c, 1001) == nullptr);
  CHECK(db.open(c, 1001) == nullptr);
  CHECK(db.size() == 0);
  db.detach(sid, true, 1002);  // twice is harmless
  db.detach(12345, false, 1002);
}

namespace {

AuthStep first_step(PasswordBackend& b, const std::string& user, const std::string& pw) {
  LoginStart s{user, pw, true, "127.0.0.1"};
  std::optional<AuthStep> first;
  auto login = b.start(
      s, [](AuthStep) { FAIL("plain must answer at once"); }, &first);
  REQUIRE(first.has_value());
  CHECK(s.password.empty());  // wiped once used
  return *first;
}

std::string temp_path(const char* what) {
  return std::string("/tmp/sslvpnd-unit-") + what + "-" + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("plain auth: passwords, locks, groups", "[secmod][plain]") {
  std::string hash = crypt_hash("s3cret", "$6$testsalt$");
  REQUIRE(hash.rfind("$6$testsalt$", 0) == 0);
  std::string path = temp_path("passwd");
  {
    std::ofstream f(path);
    f << "alice:staff,ops:" << hash << "\n";
    f << "bob:*:" << hash << "\n";
    f << "carol:staff:!" << hash << "\n";
  }
  PlainBackend a(path, "");
  auto ok = first_step(a, "alice", "s3cret");
  CHECK(ok.kind == AuthStep::Kind::Success);
  CHECK(ok.groups == std::vector<std::string>{"staff", "ops"});
  CHECK(first_step(a, "alice", "wrong").kind == AuthStep::Kind::Failure);
  CHECK(first_step(a, "alice", "wrong").reason == "wrong password");
  CHECK(first_step(a, "mallory", "s3cret").reason == "unknown user");
  CHECK(first_step(a, "carol", "s3cret").reason == "account locked");
  auto b = first_step(a, "bob", "s3cret");
  CHECK(b.kind == AuthStep::Kind::Success);
  CHECK(b.groups.empty());
  CHECK(first_step(a, "bad:name", "s3cret").kind == AuthStep::Kind::Failure);
  // Every failure shows the client the same generic text.
  CHECK(first_step(a, "mallory", "x").user_message.empty());
  CHECK(first_step(a, "alice", "x").user_message.empty());
  std::remove(path.c_str());
  CHECK(first_step(a, "alice", "s3cret").kind == AuthStep::Kind::Failure);
}

TEST_CASE("plain auth: a certificate login asks for the password in a form", "[secmod][plain]") {
  std::string path = temp_path("passwd-cert");
  {
    std::ofstream f(path);
    f << "alice:staff:" << crypt_hash("pw", "$5$salt$") << "\n";
  }
  PlainBackend a(path, "");
  LoginStart s{"alice", "", false, "127.0.0.1"};
  std::optional<AuthStep> first;
  auto login = a.start(
      s, [](AuthStep) {}, &first);
  REQUIRE(first);
  REQUIRE(first->kind == AuthStep::Kind::Prompt);
  REQUIRE(first->form.fields_size() == 1);
  CHECK(first->form.fields(0).name() == "password");
  CHECK(first->form.fields(0).kind() == ipc::FormField::PASSWORD);
  std::vector<Answer> ans{{"password", "pw"}};
  auto done = login->answer(ans);
  REQUIRE(done);
  CHECK(done->kind == AuthStep::Kind::Success);
  CHECK(ans[0].value.empty());
  std::remove(path.c_str());
}

namespace {
// RFC 4226 appendix D: secret "12345678901234567890", counters 0..9.
const std::vector<uint8_t> kRfcSecret = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
                                         '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
const char* kRfcSecretHex = "3132333435363738393031323334353637383930";
const char* kHotpVectors[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
}  // namespace

TEST_CASE("otp: RFC 4226 HOTP and RFC 6238 TOTP test vectors", "[secmod][otp]") {
  for (uint64_t c = 0; c < 10; ++c) CHECK(hotp_code(kRfcSecret, c, 6) == kHotpVectors[c]);
  // RFC 6238 appendix B, SHA-1, 8 digits, 30 s steps.
  struct {
    time_t t;
    const char* code;
  } totp[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
              {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : totp) CHECK(totp_code(kRfcSecret, v.t, 30, 8) == v.code);
  CHECK(totp_code(kRfcSecret, 59, 30, 5).empty());  // digits outside 6..8 are refused
}

TEST_CASE("otp: users file codes work once, in order, within the window", "[secmod][otp]") {
  std::string path = temp_path("otp");
  {
    std::ofstream f(path);
    f << "# comment\nHOTP alice - " << kRfcSecretHex << "\n";
  }
  OtpFile otp(path);
  CHECK(otp.has_user("alice"));
  CHECK_FALSE(otp.has_user("bob"));
  CHECK(otp.check("alice", kHotpVectors[0]) == OtpResult::Ok);
  CHECK(otp.check("alice", kHotpVectors[0]) == OtpResult::Replayed);
  CHECK(otp.check("alice", kHotpVectors[2]) == OtpResult::Ok);  // skipping one is inside the window
  CHECK(otp.check("alice", kHotpVectors[1]) != OtpResult::Ok);  // older than the last used
  CHECK(otp.check("alice", "000000") == OtpResult::Invalid);
  CHECK(otp.check("alice", "12ab56") == OtpResult::Invalid);
  CHECK(otp.check("alice", "") == OtpResult::Invalid);
  CHECK(otp.check("bob", kHotpVectors[3]) == OtpResult::UnknownUser);
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());
}

TEST_CASE("plain auth with otp: password, then the code in a second form", "[secmod][plain][otp]") {
  std::string pw_path = temp_path("passwd-otp"), otp_path = temp_path("otp2");
  {
    std::ofstream f(pw_path);
    f << "alice:staff:" << crypt_hash("pw", "$5$salt$") << "\n";
    f << "olga:ops:\n";                                      // empty hash: OTP only
    f << "nick:*:" << crypt_hash("pw", "$5$salt$") << "\n";  // no OTP entry
    std::ofstream o(otp_path);
    o << "HOTP alice - " << kRfcSecretHex << "\nHOTP olga - " << kRfcSecretHex << "\n";
  }
  PlainBackend b(pw_path, otp_path);
  LoginStart s{"alice", "pw", true, "127.0.0.1"};
  std::optional<AuthStep> first;
  auto login = b.start(
      s, [](AuthStep) {}, &first);
  REQUIRE(first);
  REQUIRE(first->kind == AuthStep::Kind::Prompt);
  CHECK(first->form.fields(0).name() == "secondary_password");
  std::vector<Answer> ans{{"secondary_password", kHotpVectors[0]}};
  auto done = login->answer(ans);
  REQUIRE(done);
  CHECK(done->kind == AuthStep::Kind::Success);
  CHECK(done->groups == std::vector<std::string>{"staff"});
  // The same code again: refused.
  first.reset();
  LoginStart s2{"alice", "pw", true, "127.0.0.1"};
  login = b.start(
      s2, [](AuthStep) {}, &first);
  REQUIRE(first->kind == AuthStep::Kind::Prompt);
  std::vector<Answer> again{{"secondary_password", kHotpVectors[0]}};
  auto replay = login->answer(again);
  REQUIRE(replay);
  CHECK(replay->kind == AuthStep::Kind::Failure);
  CHECK(replay->reason == "OTP code used before");
  // A wrong password never reaches the OTP form.
  CHECK(first_step(b, "alice", "nope").kind == AuthStep::Kind::Failure);
  // OTP-only user: the password field carries the code.
  CHECK(first_step(b, "olga", kHotpVectors[0]).kind == AuthStep::Kind::Success);
  CHECK(first_step(b, "olga", "pw").kind == AuthStep::Kind::Failure);
  // No OTP entry: the password alone.
  CHECK(first_step(b, "nick", "pw").kind == AuthStep::Kind::Success);
  std::remove(pw_path.c_str());
  std::remove(otp_path.c_str());
  std::remove((otp_path + ".lock").c_str());
}

TEST_CASE("plain auth: constant-time compare", "[secmod][plain]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
}

TEST_CASE("sec-mod: every worker request kind is routed exactly once", "[secmod][routes]") {
  std::multiset<int> kinds;
  for (const auto& r : SecMod::worker_routes()) {
    kinds.insert(r.kind);
    CHECK(r.legal_states != 0);
    CHECK(r.handler != nullptr);
  }
  for (int k :
       {static_cast<int>(ipc::WorkerToSecMod::kSign), static_cast<int>(ipc::WorkerToSecMod::kAuthInit),
        static_cast<int>(ipc::WorkerToSecMod::kAuthContinue), static_cast<int>(ipc::WorkerToSecMod::kLogout)})
    CHECK(kinds.count(k) == 1);
  // A new oneof case in the schema must be added to the table (and to the list above).
  CHECK(kinds.size() == 4);
}
