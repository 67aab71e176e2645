#include <ev.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "main/openvpn_mgmt.hpp"
#include "main/openvpn_mgmt_io.hpp"
#include "tests/support/secmod_fixture.hpp"

using namespace sslvpn::mainproc;

namespace {

struct Fake {
  std::string killed_cn, killed_ip;
  uint16_t killed_port = 0;
  bool killed_tcp = false;
  uint64_t killed_cid = 0;
  bool killed_halt = false;
  ManagementBackend b;
  Fake() {
    b.version_title = "OpenVPN 2.6 management, sslvpnd test";
    b.pid = 42;
    b.status = [](int v) { return "STATUS v" + std::to_string(v) + "\nEND\n"; };
    b.load_stats = [] { return std::string("nclients=1,bytesin=2,bytesout=3"); };
    b.state = [] { return std::string("1700000000,CONNECTED,SUCCESS,10.8.0.1,,,,\n"); };
    b.kill_cn = [this](const std::string& cn) {
      killed_cn = cn;
      return cn == "alice" ? 2u : 0u;
    };
    b.kill_addr = [this](const std::string& ip, uint16_t port, bool tcp) {
      killed_ip = ip;
      killed_port = port;
      killed_tcp = tcp;
      return 1u;
    };
    b.kill_cid = [this](uint64_t cid, bool halt) {
      killed_cid = cid;
      killed_halt = halt;
      return cid == 7;
    };
  }
};

}  // namespace

TEST_CASE("openvpn management: openvpn 2.6's answers", "[openvpn-mgmt]") {
  Fake f;
  ManagementSession s(f.b, "");
  CHECK(s.greeting() == ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\n");
  CHECK(s.line("version") ==
        "OpenVPN Version: OpenVPN 2.6 management, sslvpnd test\r\nManagement Version: 5\r\nEND\r\n");
  CHECK(s.line("status 2\r") == "STATUS v2\r\nEND\r\n");
  CHECK(s.line("status") == "STATUS v1\r\nEND\r\n");
  CHECK(s.line("status 9") == "STATUS v1\r\nEND\r\n");
  CHECK(s.line("load-stats") == "SUCCESS: nclients=1,bytesin=2,bytesout=3\r\n");
  CHECK(s.line("state") == "1700000000,CONNECTED,SUCCESS,10.8.0.1,,,,\r\nEND\r\n");
  CHECK(s.line("pid") == "SUCCESS: pid=42\r\n");
  CHECK(s.line("kill alice") == "SUCCESS: common name 'alice' found, 2 client(s) killed\r\n");
  CHECK(s.line("kill bob") == "ERROR: common name 'bob' not found\r\n");
  CHECK(s.line("kill tcp:203.0.113.2:4000") ==
        "SUCCESS: 1 client(s) at address tcp:203.0.113.2:4000 killed\r\n");
  CHECK((f.killed_ip == "203.0.113.2" && f.killed_port == 4000 && f.killed_tcp));
  CHECK(s.line("kill udp:203.0.113.2:99999").starts_with("ERROR: port number or protocol out of range"));
  CHECK(s.line("client-kill 7") == "SUCCESS: client-kill command succeeded\r\n");
  CHECK(!f.killed_halt);  // RESTART: the client reconnects, as openvpn's default
  CHECK(s.line("client-kill 7 HALT,bye") == "SUCCESS: client-kill command succeeded\r\n");
  CHECK(f.killed_halt);
  CHECK(s.line("client-kill 8") == "ERROR: client-kill command failed\r\n");
  CHECK(s.line("client-kill x") == "ERROR: cid must be an integer\r\n");
  CHECK(s.line("hold release") == "SUCCESS: hold release succeeded\r\n");
  CHECK(s.line("signal SIGTERM") == "ERROR: unknown command [signal], enter 'help' for more options\r\n");
  CHECK(s.line("help").ends_with("END\r\n"));
  // A name with a line break cannot forge a line of the answer.
  CHECK(s.line("kill \"x\nSUCCESS\"") == "ERROR: common name 'x?SUCCESS' not found\r\n");
  CHECK_FALSE(s.closing());
  CHECK(s.line("quit").empty());
  CHECK(s.closing());
}

TEST_CASE("openvpn management: the password, three tries", "[openvpn-mgmt]") {
  Fake f;
  ManagementSession s(f.b, "s3cret");
  CHECK(s.greeting() == "ENTER PASSWORD:");
  CHECK(s.line("kill alice") == "ERROR: bad password\r\nENTER PASSWORD:");
  CHECK(f.killed_cn.empty());  // no command before the password
  CHECK(s.line("s3cret") ==
        "SUCCESS: password is correct\r\n>INFO:OpenVPN Management Interface Version 5 -- type 'help' for "
        "more info\r\n");
  CHECK(s.line("kill alice").starts_with("SUCCESS"));
  ManagementSession t(f.b, "s3cret");
  (void)t.line("a");
  (void)t.line("b");
  CHECK(t.line("c") == "ERROR: bad password\r\n");
  CHECK(t.closing());
  CHECK(t.line("s3cret").empty());  // closed: nothing more is taken
}

namespace {

// One connection to a ManagementServer on a Unix socket: sends `lines`, runs the server's loop,
// and returns everything it answered until it closed the connection (or 2 s passed).
std::string converse(struct ev_loop* loop, const std::string& path, const std::vector<std::string>& lines) {
  sslvpn::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  REQUIRE(::send(fd.get(), all.data(), all.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(all.size()));
  std::string got;
  for (int i = 0; i < 400; ++i) {  // at most 2 s
    ev_run(loop, EVRUN_NOWAIT);
    char buf[4096];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;  // closed by the server
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    if (n < 0) ::usleep(5000);
  }
  return got;
}

}  // namespace

TEST_CASE("openvpn management: past ten wrong passwords in a minute, none is compared", "[openvpn-mgmt]") {
  Fake f;
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  sslvpn::testing::NullSink sink;
  sslvpn::Logger log{&sink, 0};
  char tmpl[] = "/tmp/sslvpnd-mgmt-test.XXXXXX";
  std::string path = std::string(::mkdtemp(tmpl)) + "/m.sock";
  {
    ManagementServer server(loop, log, path + " unix", "s3cret", f.b);
    CHECK(converse(loop, path, {"s3cret", "quit"}).find("SUCCESS: password is correct") != std::string::npos);
    // Three connections of three wrong passwords: nine; the right one is still taken.
    for (int i = 0; i < 3; ++i)
      CHECK(converse(loop, path, {"a", "b", "c", "s3cret"}).ends_with("ERROR: bad password\r\n"));
    CHECK(converse(loop, path, {"s3cret", "quit"}).find("SUCCESS") != std::string::npos);
    // The tenth: from then on the right password is not compared either, until a minute has passed.
    std::string tenth = converse(loop, path, {"d", "s3cret"});
    CHECK(tenth.find("ERROR: bad password") != std::string::npos);
    CHECK(tenth.ends_with("ERROR: too many wrong passwords; try again in a minute\r\n"));
    std::string locked = converse(loop, path, {"s3cret"});
    CHECK(locked.find("ERROR: too many wrong passwords") != std::string::npos);
    CHECK(locked.find("SUCCESS") == std::string::npos);
  }
  ::unlink(path.c_str());
  ::rmdir(path.substr(0, path.rfind('/')).c_str());
  ev_loop_destroy(loop);
}
