#include <catch2/catch.hpp>

#include <string>

#include "main/openvpn_mgmt.hpp"

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
