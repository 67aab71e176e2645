#include "worker/anyconnect/connect_reply.hpp"

#include "common/header_lines.hpp"
#include "common/ip_addr.hpp"

#include "common/text.hpp"

namespace sslvpn::cstp {
namespace {

std::string seconds_or_none(uint32_t s) {
  return s == 0 ? "none" : std::to_string(s);
}

// Header values come from our own configuration, but never let one break the header block.
std::string clean(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '\r' && c != '\n') out.push_back(c);
  return out;
}

}  // namespace

bool offers_psk_negotiate(std::string_view list) {
  return colon_list_contains(list, "PSK-NEGOTIATE");
}

std::string build_connect_reply(const ipc::TunnelParams& p, std::string_view server_name,
                                const DtlsReply& dtls, const ReplyChoices& choices) {
  const CompressionReply& compression = choices.compression;
  std::string h = "HTTP/1.1 200 CONNECTED\r\n";
  auto add = [&h](std::string_view k, std::string_view v) {
    h.append(k).append(": ").append(clean(v)).append("\r\n");
  };
  add("X-CSTP-Version", "1");
  add("X-CSTP-Server-Name", server_name);
  if (!p.hostname().empty()) add("X-CSTP-Hostname", p.hostname());  // as accepted (ocserv's)
  add("X-CSTP-DPD", std::to_string(p.dpd()));
  if (!p.ipv4_address().empty()) {
    add("X-CSTP-Address", p.ipv4_address());
    add("X-CSTP-Netmask", p.ipv4_netmask());
  }
  if (!p.ipv6_address().empty())
    add("X-CSTP-Address-IP6", p.ipv6_address() + "/" + std::to_string(p.ipv6_prefix()));
  for (const auto& d : p.dns()) add("X-CSTP-DNS", d);
  for (const auto& d : p.nbns()) add("X-CSTP-NBNS", d);
  for (const auto& d : p.split_dns()) add("X-CSTP-Split-DNS", d);
  if (!p.default_domain().empty()) add("X-CSTP-Default-Domain", p.default_domain());
  // Routes come as CIDR; AnyConnect writes IPv4 with a netmask, and IPv6 in headers of its own.
  auto add_routes = [&](const auto& cidrs, const char* v4_header, const char* v6_header) {
    for (const auto& r : cidrs)
      if (auto n = parse_ip_net(r); n && n->addr.is_v4()) add(v4_header, n->split_form());
    for (const auto& r : cidrs) {
      auto n = parse_ip_net(r);
      if (!n || n->addr.is_v4()) continue;
      if (n->prefix == 0) {      // ::/0 as two halves (openvpn's def1): the client's script would
        add(v6_header, "::/1");  // put a ::/0 route in place of its own default route
        add(v6_header, "8000::/1");
      } else {
        add(v6_header, n->split_form());
      }
    }
  };
  add_routes(p.route_include(), "X-CSTP-Split-Include", "X-CSTP-Split-Include-IP6");
  add_routes(p.route_exclude(), "X-CSTP-Split-Exclude", "X-CSTP-Split-Exclude-IP6");
  add("X-CSTP-Tunnel-All-DNS", p.tunnel_all_dns() ? "true" : "false");
  add("X-CSTP-Keepalive", std::to_string(p.keepalive()));
  if (!choices.banner.empty()) {
    std::string b = choices.banner;  // one header line, whatever the configuration held
    for (char& ch : b)
      if (ch == '\r' || ch == '\n') ch = ' ';
    add("X-CSTP-Banner", b);
  }
  add("X-CSTP-Idle-Timeout", seconds_or_none(p.idle_timeout()));
  add("X-CSTP-Session-Timeout", seconds_or_none(p.session_timeout()));
  if (p.session_timeout() != 0)
    add("X-CSTP-Session-Timeout-Remaining", std::to_string(p.session_remaining()));
  // Rekey: after this long openconnect renegotiates its TLS session on the same connection
  // (ssl, when offered), or reconnects with its cookie (a fresh TLS session); the DTLS rekey
  // is due later, so the new tunnel's DTLS session comes first.
  if (p.rekey_time() != 0) {
    add("X-CSTP-Rekey-Time", std::to_string(p.rekey_time()));
    add("X-CSTP-Rekey-Method", choices.rekey_in_place ? "ssl" : "new-tunnel");
  } else {
    add("X-CSTP-Rekey-Method", "none");
  }
  add("X-CSTP-Disconnected-Timeout", "none");
  add("X-CSTP-Keep", "true");
  add("X-CSTP-TCP-Keepalive", "true");
  add("X-CSTP-License", "accept");
  add("X-CSTP-Client-Bypass-Protocol", p.client_bypass_protocol() ? "true" : "false");
  if (p.dyndns()) add("X-CSTP-DynDNS", "true");
  if (!p.proxy_pac_url().empty()) add("X-CSTP-MSIE-Proxy-Pac-URL", p.proxy_pac_url());
  if (dtls.enabled) {
    add("X-DTLS-Port", std::to_string(p.dtls().udp_port()));
    add("X-DTLS-DPD", std::to_string(p.dpd()));
    add("X-DTLS-Keepalive", std::to_string(p.keepalive()));
    if (p.rekey_time() != 0) add("X-DTLS-Rekey-Time", std::to_string(p.rekey_time() + 10));
    if (dtls.legacy_cipher.empty()) {
      add("X-DTLS-App-ID", dtls.app_id_hex);
      add("X-DTLS-CipherSuite", "PSK-NEGOTIATE");
    } else {
      add("X-DTLS-Session-ID", dtls.session_id_hex);
      add(dtls.legacy_dtls12 ? "X-DTLS12-CipherSuite" : "X-DTLS-CipherSuite", dtls.legacy_cipher);
      add("X-DTLS-MTU", std::to_string(p.mtu()));
    }
  }
  // As ocserv: the DTLS method is named whenever one was chosen, DTLS or not.
  if (!compression.dtls.empty()) add("X-DTLS-Content-Encoding", compression.dtls);
  if (!compression.cstp.empty()) add("X-CSTP-Content-Encoding", compression.cstp);
  add("X-CSTP-Base-MTU", std::to_string(p.base_mtu()));
  add("X-CSTP-MTU", std::to_string(p.mtu()));
  for (const auto& line : choices.custom_headers)
    h.append(clean(expand_user_group(line, p.username(), p.group()))).append("\r\n");
  h += "\r\n";
  return h;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace sslvpn::cstp
