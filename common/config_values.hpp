// The value syntax shared by the main configuration and per-user/per-group files: the
// "key = value" line loop and typed values, each error naming the file, line and key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/header_lines.hpp"
#include "common/ip_addr.hpp"

namespace sslvpn::cfgval {

struct Where {
  std::string_view origin;
  int line = 0;
  std::string_view key;
};

// Throws ConfigError "origin:line: what".
[[noreturn]] void fail(std::string_view origin, int line, const std::string& what);

bool parse_bool(const Where& w, std::string_view v);
uint32_t parse_uint(const Where& w, std::string_view v, uint32_t max);
uint64_t parse_uint64(const Where& w, std::string_view v);
// Seconds; "none" and "unlimited" are 0.
uint32_t parse_seconds(const Where& w, std::string_view v);
IpAddr parse_addr(const Where& w, std::string_view v);
// ocserv's net-priority: "0xNN" is the IP TOS byte (IPv6: traffic class) of the client's
// sockets, a decimal number their SO_PRIORITY (applied, as by ocserv, when at most 6: higher
// needs CAP_NET_ADMIN, which workers do not have).
struct NetPriority {
  bool tos = false;
  uint32_t value = 0;
};
NetPriority parse_net_priority(const Where& w, std::string_view v);
IpNet parse_net(const Where& w, std::string_view v);
// Address pools as ocserv gives them, in the main configuration and in per-user files:
// 'ipv4-network' with its prefix, or a bare address with 'ipv4-netmask' (a.b.c.d or /nn);
// 'ipv6-network' with its prefix, or with 'ipv6-prefix' (which wins when both give one).
// `line` is the network's line. An IPv4 pool needs room for the server and a client (/30 at
// most). Fails naming the key.
IpNet ipv4_pool(std::string_view origin, int line, std::string_view network, std::string_view netmask);
IpNet ipv6_pool(std::string_view origin, int line, std::string_view network, std::optional<uint8_t> prefix);

// Calls fn(line, key, value) for every "key = value" line (comments and blank lines skipped,
// quotes around the value removed), and on_section(line, name) for a "[name]" line; without
// on_section a section is an error, as are malformed lines. Returns the number of lines read.
int for_each_entry(std::string_view text, std::string_view origin,
                   const std::function<void(int, std::string_view, std::string_view)>& fn,
                   const std::function<void(int, std::string_view)>& on_section = nullptr);

}  // namespace sslvpn::cfgval
