// listen-proxy-proto (main/proxy_header.hpp): the headers haproxy sends (v1 text, v2 binary)
// give the client's and the server's addresses and the exact length to consume; LOCAL and
// UNKNOWN carry none; prefixes are Incomplete; anything else is Invalid.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "main/listener.hpp"
#include "main/proxy_header.hpp"

using namespace sslvpn::mainproc;

namespace {

std::vector<uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

std::string text(const sockaddr_storage& ss) {
  uint16_t port = 0;
  std::string a = address_text(ss, &port);
  return a + "|" + std::to_string(port);
}

const std::vector<uint8_t> kSig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

std::vector<uint8_t> v2(uint8_t ver_cmd, uint8_t fam, const std::vector<uint8_t>& block) {
  auto v = kSig;
  v.push_back(ver_cmd);
  v.push_back(fam);
  v.push_back(static_cast<uint8_t>(block.size() >> 8));
  v.push_back(static_cast<uint8_t>(block.size()));
  v.insert(v.end(), block.begin(), block.end());
  return v;
}

}  // namespace

TEST_CASE("PROXY v1 TCP4 and TCP6 lines give both addresses and the line's length", "[proxy]") {
  auto in = bytes("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n\x16\x03\x01");
  auto h = parse_proxy_header(in);
  REQUIRE(h.result == ProxyParse::Ok);
  CHECK(h.version == 1);
  CHECK(h.has_addresses);
  CHECK(h.length == in.size() - 3);
  CHECK(text(h.source) == "192.0.2.7|56324");
  CHECK(text(h.dest) == "198.51.100.1|443");

  auto h6 = parse_proxy_header(bytes("PROXY TCP6 2001:db8::7 2001:db8::1 65535 8443\r\n"));
  REQUIRE(h6.result == ProxyParse::Ok);
  CHECK(text(h6.source) == "2001:db8::7|65535");
  CHECK(text(h6.dest) == "2001:db8::1|8443");
}

TEST_CASE("PROXY v1 UNKNOWN carries no address; malformed lines are Invalid", "[proxy]") {
  auto u = parse_proxy_header(bytes("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"));
  REQUIRE(u.result == ProxyParse::Ok);
  CHECK_FALSE(u.has_addresses);
  CHECK(parse_proxy_header(bytes("PROXY UNKNOWN\r\n")).result == ProxyParse::Ok);
  for (const char* bad :
       {"PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n", "PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n",
        "PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", "PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n", "PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.7  198.51.100.1 1 2\r\n", "GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x02\x00"})
    CHECK(parse_proxy_header(bytes(bad)).result == ProxyParse::Invalid);
  std::string long_line = "PROXY TCP4 " + std::string(120, '1');
  CHECK(parse_proxy_header(bytes(long_line)).result == ProxyParse::Invalid);
}

TEST_CASE("PROXY prefixes are Incomplete", "[proxy]") {
  CHECK(parse_proxy_header({}).result == ProxyParse::Incomplete);
  CHECK(parse_proxy_header(bytes("PROX")).result == ProxyParse::Incomplete);
  CHECK(parse_proxy_header(bytes("PROXY TCP4 192.0.2.7 19")).result == ProxyParse::Incomplete);
  std::vector<uint8_t> sig_part(kSig.begin(), kSig.begin() + 7);
  CHECK(parse_proxy_header(sig_part).result == ProxyParse::Incomplete);
  auto whole = v2(0x21, 0x11, {192, 0, 2, 7, 198, 51, 100, 1, 0xDC, 0x04, 0x01, 0xBB});
  whole.pop_back();
  CHECK(parse_proxy_header(whole).result == ProxyParse::Incomplete);
}

TEST_CASE("PROXY v2 over IPv4 and IPv6, with TLVs after the addresses", "[proxy]") {
  std::vector<uint8_t> block = {192, 0, 2, 7, 198, 51, 100, 1, 0xDC, 0x04, 0x01, 0xBB};
  std::vector<uint8_t> tlv = {0x02, 0x00, 0x03, 'v', 'p', 'n'};  // PP2_TYPE_AUTHORITY
  block.insert(block.end(), tlv.begin(), tlv.end());
  auto in = v2(0x21, 0x11, block);
  in.push_back(0x16);  // the client's first byte
  auto h = parse_proxy_header(in);
  REQUIRE(h.result == ProxyParse::Ok);
  CHECK(h.version == 2);
  CHECK(h.length == in.size() - 1);
  CHECK(text(h.source) == "192.0.2.7|56324");
  CHECK(text(h.dest) == "198.51.100.1|443");

  std::vector<uint8_t> b6(36, 0);
  b6[0] = 0x20, b6[1] = 0x01, b6[2] = 0x0d, b6[3] = 0xb8, b6[15] = 7;
  b6[16] = 0x20, b6[17] = 0x01, b6[18] = 0x0d, b6[19] = 0xb8, b6[31] = 1;
  b6[32] = 0x30, b6[33] = 0x39, b6[34] = 0x01, b6[35] = 0xBB;
  auto h6 = parse_proxy_header(v2(0x21, 0x21, b6));
  REQUIRE(h6.result == ProxyParse::Ok);
  CHECK(text(h6.source) == "2001:db8::7|12345");
  CHECK(text(h6.dest) == "2001:db8::1|443");
}

TEST_CASE("PROXY v2 LOCAL, UNSPEC and UNIX keep the connection's address; bad ones are Invalid", "[proxy]") {
  auto local = parse_proxy_header(v2(0x20, 0x00, {}));
  REQUIRE(local.result == ProxyParse::Ok);
  CHECK_FALSE(local.has_addresses);
  CHECK(local.length == 16);
  auto unix_ = parse_proxy_header(v2(0x21, 0x31, std::vector<uint8_t>(216, 'x')));
  REQUIRE(unix_.result == ProxyParse::Ok);
  CHECK_FALSE(unix_.has_addresses);
  CHECK(parse_proxy_header(v2(0x11, 0x11, std::vector<uint8_t>(12))).result ==
        ProxyParse::Invalid);  // version 1
  CHECK(parse_proxy_header(v2(0x22, 0x11, std::vector<uint8_t>(12))).result ==
        ProxyParse::Invalid);  // command 2
  CHECK(parse_proxy_header(v2(0x21, 0x11, std::vector<uint8_t>(8))).result == ProxyParse::Invalid);  // short
  CHECK(parse_proxy_header(v2(0x21, 0x11, std::vector<uint8_t>(2000))).result == ProxyParse::Invalid);
}
