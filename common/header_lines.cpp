#include "common/header_lines.hpp"

#include <array>

#include "common/text.hpp"

namespace sslvpn {
namespace {

constexpr std::array<std::string_view, 14> kReserved = {
    "Content-Length", "Transfer-Encoding", "Connection",       "Keep-Alive", "Upgrade",          "TE",
    "Trailer",        "Content-Type",      "Content-Encoding", "Set-Cookie", "WWW-Authenticate", "Location",
    "Host",           "Content-Range"};

constexpr std::array<std::string_view, 42> kConnectNames = {"X-CSTP-Version",
                                                            "X-CSTP-Hostname",
                                                            "X-CSTP-Server-Name",
                                                            "X-CSTP-DPD",
                                                            "X-CSTP-Address",
                                                            "X-CSTP-Netmask",
                                                            "X-CSTP-Address-IP6",
                                                            "X-CSTP-DNS",
                                                            "X-CSTP-NBNS",
                                                            "X-CSTP-Split-DNS",
                                                            "X-CSTP-Default-Domain",
                                                            "X-CSTP-Split-Include",
                                                            "X-CSTP-Split-Exclude",
                                                            "X-CSTP-Split-Include-IP6",
                                                            "X-CSTP-Split-Exclude-IP6",
                                                            "X-CSTP-Keepalive",
                                                            "X-CSTP-Keep",
                                                            "X-CSTP-Idle-Timeout",
                                                            "X-CSTP-Disconnected-Timeout",
                                                            "X-CSTP-Session-Timeout",
                                                            "X-CSTP-Session-Timeout-Remaining",
                                                            "X-CSTP-Tunnel-All-DNS",
                                                            "X-CSTP-Rekey-Time",
                                                            "X-CSTP-Rekey-Method",
                                                            "X-CSTP-TCP-Keepalive",
                                                            "X-CSTP-Client-Bypass-Protocol",
                                                            "X-CSTP-DynDNS",
                                                            "X-CSTP-MSIE-Proxy-Pac-URL",
                                                            "X-CSTP-License",
                                                            "X-CSTP-Banner",
                                                            "X-CSTP-Content-Encoding",
                                                            "X-CSTP-MTU",
                                                            "X-CSTP-Base-MTU",
                                                            "X-DTLS-Session-ID",
                                                            "X-DTLS-Port",
                                                            "X-DTLS-DPD",
                                                            "X-DTLS-Keepalive",
                                                            "X-DTLS-Rekey-Time",
                                                            "X-DTLS-CipherSuite",
                                                            "X-DTLS-MTU",
                                                            "X-DTLS-App-ID",
                                                            "X-DTLS-Content-Encoding"};

bool token_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<std::string> header_line_error(std::string_view line, HeaderUse use) {
  if (line.size() > 1024) return "longer than 1024 bytes";
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return "no name before ':'";
  std::string_view name = line.substr(0, colon);
  for (char ch : name)
    if (!token_char(static_cast<unsigned char>(ch)))
      return "the name has a character a header name cannot have";
  for (char ch : line.substr(colon + 1)) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return "the value has a control character";
  }
  for (auto r : kReserved)
    if (iequals(name, r)) return "'" + std::string(r) + "' is the server's own to set";
  if (use == HeaderUse::ConnectAnswer) {
    if (starts_with_ci(name, "X-DTLS-") || starts_with_ci(name, "X-DTLS12-"))
      return "the X-DTLS- headers are the server's own to set";
    for (auto r : kConnectNames)
      if (iequals(name, r)) return "'" + std::string(r) + "' is the server's own to set";
  }
  return std::nullopt;
}

std::span<const std::string_view> connect_answer_names() {
  return kConnectNames;
}

bool header_named(std::string_view line, std::string_view name) {
  size_t colon = line.find(':');
  return colon != std::string_view::npos && iequals(line.substr(0, colon), name);
}

std::string expand_user_group(std::string_view line, std::string_view user, std::string_view group) {
  auto clean = [](std::string_view v) {
    std::string out;
    for (char ch : v) {
      auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c != 0x7f) out.push_back(ch);
    }
    return out;
  };
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line.compare(i, 4, "%{U}") == 0) {
      out += clean(user);
      i += 3;
    } else if (line.compare(i, 4, "%{G}") == 0) {
      out += clean(group);
      i += 3;
    } else {
      out.push_back(line[i]);
    }
  }
  return out;
}

}  // namespace sslvpn
