#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "main/openvpn_status.hpp"

using namespace sslvpn::mainproc;

namespace {

std::vector<StatusClient> two() {
  StatusClient a;
  a.common_name = "alice";
  a.username = "alice";
  a.real = status_real_address("203.0.113.2", 45885);
  a.vip4 = "10.8.0.2";
  a.vip6 = "fd00::2";
  a.bytes_received = 1234;
  a.bytes_sent = 5678;
  a.connected_since = 1700000000;
  a.client_id = 7;
  a.peer_id = 7;
  a.cipher = "AES-256-GCM";
  a.iroutes = {"192.168.5.0/24"};
  StatusClient b;
  b.common_name = "bad,name\n";  // a separator or line break must not make a field or a line
  b.username = "UNDEF";
  b.real = status_real_address("2001:db8::9", 443);
  b.vip4 = "10.8.0.3";
  b.connected_since = 1700000100;
  b.cipher = "AES-128-GCM";
  return {a, b};
}

}  // namespace

TEST_CASE("openvpn status: versions 1, 2 and 3 as openvpn 2.6 writes them", "[openvpn-status]") {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const time_t now = 1700000200;  // 2023-11-14 22:16:40 UTC
  std::string v2 = format_openvpn_status(two(), now, 2, "sslvpnd 0.1.0");
  CHECK(
      v2 ==
      "TITLE,sslvpnd 0.1.0\n"
      "TIME,2023-11-14 22:16:40,1700000200\n"
      "HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,Virtual IPv6 Address,Bytes Received,Bytes "
      "Sent,Connected Since,Connected Since (time_t),Username,Client ID,Peer ID,Data Channel Cipher\n"
      "CLIENT_LIST,alice,203.0.113.2:45885,10.8.0.2,fd00::2,1234,5678,2023-11-14 "
      "22:13:20,1700000000,alice,7,7,"
      "AES-256-GCM\n"
      "CLIENT_LIST,bad_name_,[2001:db8::9]:443,10.8.0.3,,0,0,2023-11-14 22:15:00,1700000100,UNDEF,0,16777215,"
      "AES-128-GCM\n"
      "HEADER,ROUTING_TABLE,Virtual Address,Common Name,Real Address,Last Ref,Last Ref (time_t)\n"
      "ROUTING_TABLE,10.8.0.2,alice,203.0.113.2:45885,2023-11-14 22:16:40,1700000200\n"
      "ROUTING_TABLE,fd00::2,alice,203.0.113.2:45885,2023-11-14 22:16:40,1700000200\n"
      "ROUTING_TABLE,192.168.5.0/24,alice,203.0.113.2:45885,2023-11-14 22:16:40,1700000200\n"
      "ROUTING_TABLE,10.8.0.3,bad_name_,[2001:db8::9]:443,2023-11-14 22:16:40,1700000200\n"
      "GLOBAL_STATS,Max bcast/mcast queue length,0\n"
      "GLOBAL_STATS,dco_enabled,0\n"
      "END\n");
  std::string v3 = format_openvpn_status(two(), now, 3, "sslvpnd 0.1.0");
  std::string v2_tabs = v2;
  for (char& c : v2_tabs)
    if (c == ',') c = '\t';
  CHECK(v3 == v2_tabs);  // the same records, tab-separated
  std::string v1 = format_openvpn_status(two(), now, 1, "");
  CHECK(
      v1.starts_with("OpenVPN CLIENT LIST\nUpdated,2023-11-14 22:16:40\n"
                     "Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since\n"
                     "alice,203.0.113.2:45885,1234,5678,2023-11-14 22:13:20\n"));
  CHECK(v1.find("ROUTING TABLE\nVirtual Address,Common Name,Real Address,Last Ref\n"
                "10.8.0.2,alice,203.0.113.2:45885,2023-11-14 22:16:40\n") != std::string::npos);
  CHECK(v1.ends_with("GLOBAL STATS\nMax bcast/mcast queue length,0\nEND\n"));
  CHECK(format_openvpn_status({}, now, 2, "t").find("\nCLIENT_LIST,") == std::string::npos);
  ::unsetenv("TZ");
  ::tzset();
}
