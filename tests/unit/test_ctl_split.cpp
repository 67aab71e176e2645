#include <catch2/catch.hpp>

#include <string>

#include "common/ipc_channel.hpp"
#include "main/control_socket.hpp"

using sslvpn::mainproc::split_ctl_reply;

TEST_CASE("control replies: split so that each part fits one IPC message, rows in order", "[ctl]") {
  sslvpn::ctl::CtlReply r;
  r.set_ok(true);
  r.set_more(false);
  // Five users whose rows carry 30 kB each (a HIP report), and 250 small rows.
  for (int i = 0; i < 5; ++i) {
    auto* u = r.add_users();
    u->set_username("user" + std::to_string(i));
    u->set_hip_report(std::string(30 * 1024, 'x'));
  }
  for (int i = 0; i < 250; ++i) r.add_bans()->set_ip("192.0.2." + std::to_string(i));
  REQUIRE(r.ByteSizeLong() > sslvpn::kMaxIpcMessage);
  auto parts = split_ctl_reply(r);
  REQUIRE(parts.size() >= 5);
  int users = 0, bans = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    INFO("part " << i);
    CHECK(parts[i].ByteSizeLong() <= sslvpn::kMaxIpcMessage);
    CHECK(parts[i].more() == (i + 1 < parts.size()));
    CHECK(parts[i].ok());
    for (const auto& u : parts[i].users()) CHECK(u.username() == "user" + std::to_string(users++));
    for (const auto& b : parts[i].bans()) CHECK(b.ip() == "192.0.2." + std::to_string(bans++));
  }
  CHECK(users == 5);
  CHECK(bans == 250);
  // A reply that fits goes as it is.
  sslvpn::ctl::CtlReply small;
  small.set_ok(true);
  small.add_bans()->set_ip("192.0.2.1");
  CHECK(split_ctl_reply(small).size() == 1);
}
