#include "common/ip_addr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sslvpn {

static_assert(AF_INET == 2, "IpAddr::is_v4 assumes AF_INET == 2");

static_assert(IpAddr::kMaxText == INET6_ADDRSTRLEN);

size_t IpAddr::to_chars(std::span<char, kMaxText> out) const noexcept {
  if (is_v4()) {  // the collector formats two a flow: inet_ntop's printf would be most of it
    char* p = out.data();
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      p = std::to_chars(p, out.data() + out.size(), b[i]).ptr;
    }
    *p = '\0';
    return static_cast<size_t>(p - out.data());
  }
  out[0] = '\0';
  if (family != 0) ::inet_ntop(family, b.data(), out.data(), static_cast<socklen_t>(out.size()));
  return std::strlen(out.data());
}

std::string IpAddr::to_string() const {
  std::array<char, kMaxText> buf;
  return std::string(buf.data(), to_chars(buf));
}

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string z(s);
  IpAddr a;
  if (::inet_pton(AF_INET, z.c_str(), a.b.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, z.c_str(), a.b.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::optional<uint8_t> netmask_prefix(std::string_view mask) {
  auto m = parse_ip(mask);
  if (!m || !m->is_v4()) return std::nullopt;
  uint32_t v = (uint32_t{m->b[0]} << 24) | (uint32_t{m->b[1]} << 16) | (uint32_t{m->b[2]} << 8) | m->b[3];
  uint8_t p = 0;
  while (p < 32 && (v & (0x80000000u >> p))) ++p;
  uint32_t expect = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
  if (v != expect) return std::nullopt;
  return p;
}

static void clear_host_bits(IpNet& n) {
  size_t bits = n.addr.size() * 8;
  for (size_t i = n.prefix; i < bits; ++i) n.addr.b[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
}

std::optional<IpNet> parse_ip_net(std::string_view s) {
  auto slash = s.find('/');
  auto a = parse_ip(s.substr(0, slash));
  if (!a) return std::nullopt;
  IpNet n;
  n.addr = *a;
  size_t max = a->size() * 8;
  if (slash == std::string_view::npos) {
    n.prefix = static_cast<uint8_t>(max);
    return n;
  }
  std::string_view rest = s.substr(slash + 1);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
  if (ec == std::errc() && ptr == rest.data() + rest.size()) {
    if (p > max) return std::nullopt;
    n.prefix = static_cast<uint8_t>(p);
  } else {
    if (!a->is_v4()) return std::nullopt;
    auto mp = netmask_prefix(rest);
    if (!mp) return std::nullopt;
    n.prefix = *mp;
  }
  clear_host_bits(n);
  return n;
}

std::string IpNet::to_string() const {
  return addr.to_string() + "/" + std::to_string(prefix);
}

std::string IpNet::v4_netmask() const {
  uint32_t m = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  IpAddr a;
  a.family = AF_INET;
  a.b[0] = static_cast<uint8_t>(m >> 24);
  a.b[1] = static_cast<uint8_t>(m >> 16);
  a.b[2] = static_cast<uint8_t>(m >> 8);
  a.b[3] = static_cast<uint8_t>(m);
  return a.to_string();
}

std::string IpNet::v4_with_netmask() const {
  return addr.to_string() + "/" + v4_netmask();
}

bool IpNet::contains(const IpAddr& a) const noexcept {
  if (a.family != addr.family) return false;
  for (size_t i = 0; i < prefix; ++i) {
    uint8_t bit = static_cast<uint8_t>(0x80u >> (i % 8));
    if ((a.b[i / 8] & bit) != (addr.b[i / 8] & bit)) return false;
  }
  return true;
}

IpAddr net_host(const IpNet& n, uint64_t index) {
  IpAddr a = n.addr;
  // add `index` to the low 64 bits, big-endian
  size_t last = a.size() - 1;
  uint64_t carry = index;
  for (size_t i = 0; carry != 0 && i < 8 && i <= last; ++i) {
    uint64_t v = a.b[last - i] + (carry & 0xff);
    a.b[last - i] = static_cast<uint8_t>(v);
    carry = (carry >> 8) + (v >> 8);
  }
  return a;
}

}  // namespace sslvpn
