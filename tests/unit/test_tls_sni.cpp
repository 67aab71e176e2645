#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "worker/tls_sni.hpp"

using sslvpn::worker::client_hello_server_name;

namespace {

void be16(std::vector<uint8_t>& v, size_t n) {
  v.push_back(static_cast<uint8_t>(n >> 8));
  v.push_back(static_cast<uint8_t>(n));
}

// A ClientHello body with these extensions (type, data).
std::vector<uint8_t> hello(const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& exts) {
  std::vector<uint8_t> v = {0x03, 0x03};
  v.insert(v.end(), 32, 0xab);  // random
  v.push_back(0);               // session id
  be16(v, 2);                   // one cipher suite
  v.push_back(0x13);
  v.push_back(0x01);
  v.push_back(1);  // one compression method
  v.push_back(0);
  std::vector<uint8_t> e;
  for (const auto& [type, data] : exts) {
    be16(e, type);
    be16(e, data.size());
    e.insert(e.end(), data.begin(), data.end());
  }
  be16(v, e.size());
  v.insert(v.end(), e.begin(), e.end());
  return v;
}

std::vector<uint8_t> sni(const std::string& name, uint8_t type = 0) {
  std::vector<uint8_t> d;
  be16(d, name.size() + 3);
  d.push_back(type);
  be16(d, name.size());
  d.insert(d.end(), name.begin(), name.end());
  return d;
}

}  // namespace

TEST_CASE("tls sni: the host name of a ClientHello", "[tls][vhost]") {
  CHECK(client_hello_server_name(hello({{10, {0, 2, 0, 23}}, {0, sni("vpn.example.com")}})) ==
        "vpn.example.com");
  CHECK(client_hello_server_name(hello({{0, sni("vpn.example.com.")}})) == "vpn.example.com");  // absolute
  CHECK_FALSE(client_hello_server_name(hello({{10, {0, 2, 0, 23}}})));                          // none
  CHECK_FALSE(client_hello_server_name(hello({{0, sni("x", 1)}})));                 // not host_name
  CHECK_FALSE(client_hello_server_name(hello({{0, sni(std::string(300, 'a'))}})));  // too long
  CHECK_FALSE(client_hello_server_name(hello({{0, sni("")}})));
  auto h = hello({{0, sni("vpn.example.com")}});
  for (size_t cut = 0; cut < h.size(); ++cut)  // every truncation: no name, no overread
    CHECK_FALSE(client_hello_server_name({h.data(), cut}));
  auto bad = h;
  bad[bad.size() - 16] = 0xff;  // the name list's length runs past its extension
  CHECK_FALSE(client_hello_server_name(bad));
}
