#include "main/proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "common/byte_reader.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr std::array<uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxLength = 107;  // the spec's worst case, CRLF included

ProxyHeader invalid(std::string why) {
  ProxyHeader h;
  h.result = ProxyParse::Invalid;
  h.error = std::move(why);
  return h;
}

ProxyHeader incomplete() {
  ProxyHeader h;
  h.result = ProxyParse::Incomplete;
  return h;
}

// "a prefix of `whole`": the header may still be arriving.
bool is_prefix(std::span<const uint8_t> bytes, std::span<const uint8_t> whole) {
  return bytes.size() < whole.size() && std::equal(bytes.begin(), bytes.end(), whole.begin());
}

bool set_address(sockaddr_storage* ss, int family, std::string_view text, std::string_view port_text) {
  if (port_text.empty() || port_text.size() > 5) return false;
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535 || text.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  *ss = {};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    return ::inet_pton(AF_INET, buf, &a->sin_addr) == 1;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(static_cast<uint16_t>(port));
  return ::inet_pton(AF_INET6, buf, &a->sin6_addr) == 1;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n", or "PROXY UNKNOWN ...\r\n".
ProxyHeader parse_v1(std::span<const uint8_t> bytes) {
  std::string_view all(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kV1MaxLength));
  size_t end = all.find("\r\n");
  if (end == std::string_view::npos)
    return bytes.size() < kV1MaxLength ? incomplete() : invalid("a PROXY v1 line longer than 107 bytes");
  std::string_view line = all.substr(kV1Prefix.size(), end - kV1Prefix.size());
  ProxyHeader h;
  h.version = 1;
  h.length = end + 2;
  std::string_view fields[5];
  size_t n = 0;
  while (!line.empty() && n < 5) {
    size_t sp = line.find(' ');
    fields[n++] = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  }
  if (n >= 1 && fields[0] == "UNKNOWN") {  // the rest of the line is to be ignored
    h.result = ProxyParse::Ok;
    return h;
  }
  if (n != 5 || !line.empty()) return invalid("a PROXY v1 line without its five fields");
  int family = fields[0] == "TCP4" ? AF_INET : fields[0] == "TCP6" ? AF_INET6 : 0;
  if (family == 0) return invalid("a PROXY v1 line with protocol other than TCP4, TCP6, UNKNOWN");
  if (!set_address(&h.source, family, fields[1], fields[3]) ||
      !set_address(&h.dest, family, fields[2], fields[4]))
    return invalid("a PROXY v1 line with a bad address or port");
  h.has_addresses = true;
  h.result = ProxyParse::Ok;
  return h;
}

void set_binary(sockaddr_storage* ss, int family, std::span<const uint8_t> addr, uint16_t port) {
  *ss = {};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, addr.data(), 4);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    std::memcpy(&a->sin6_addr, addr.data(), 16);
  }
}

// 12-byte signature, version/command, family/protocol, length, then the addresses and TLVs.
ProxyHeader parse_v2(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  (void)r.skip(kV2Signature.size());
  auto ver_cmd = r.u8();
  auto fam = r.u8();
  auto len = r.be16();
  if (!ver_cmd || !fam || !len) return incomplete();
  if ((*ver_cmd >> 4) != 2) return invalid("a PROXY v2 header of another version");
  int cmd = *ver_cmd & 0x0F;
  if (cmd > 1) return invalid("a PROXY v2 header with an unknown command");
  if (16u + *len > kMaxProxyHeader) return invalid("a PROXY v2 header longer than 1024 bytes");
  auto block = r.take(*len);
  if (!block) return incomplete();
  ProxyHeader h;
  h.version = 2;
  h.length = 16u + *len;
  h.result = ProxyParse::Ok;
  if (cmd == 0) return h;  // LOCAL: the balancer's own connection (health checks)
  int af = *fam >> 4, proto = *fam & 0x0F;
  size_t addr_len = af == 1 ? 4 : af == 2 ? 16 : 0;
  if (addr_len == 0 || proto != 1) return h;  // UNSPEC, UNIX or not a stream: the connection's own
  ByteReader a(*block);
  auto src = a.take(addr_len);
  auto dst = a.take(addr_len);
  auto sport = a.be16();
  auto dport = a.be16();
  if (!src || !dst || !sport || !dport) return invalid("a PROXY v2 header shorter than its addresses");
  int family = af == 1 ? AF_INET : AF_INET6;
  set_binary(&h.source, family, *src, *sport);
  set_binary(&h.dest, family, *dst, *dport);
  h.has_addresses = true;
  return h;
}

}  // namespace

ProxyHeader parse_proxy_header(std::span<const uint8_t> bytes) {
  auto v1 = std::span(reinterpret_cast<const uint8_t*>(kV1Prefix.data()), kV1Prefix.size());
  if (bytes.size() >= kV2Signature.size() &&
      std::equal(kV2Signature.begin(), kV2Signature.end(), bytes.begin()))
    return parse_v2(bytes);
  if (bytes.size() >= v1.size() && std::equal(v1.begin(), v1.end(), bytes.begin())) return parse_v1(bytes);
  if (is_prefix(bytes, kV2Signature) || is_prefix(bytes, v1)) return incomplete();
  return invalid("no PROXY protocol header");
}

}  // namespace sslvpn::mainproc
