#include "worker/gp/gp_messages.hpp"

#include <cstdio>

#include "common/hex.hpp"
#include "common/ip_addr.hpp"
#include "common/text.hpp"

namespace sslvpn::gp {
namespace {

std::string tag(const char* name, const std::string& value) {
  return std::string("<") + name + ">" + xml_escape(value) + "</" + name + ">";
}

std::string members(const char* name, const std::vector<std::string>& values) {
  std::string x = std::string("<") + name + ">";
  for (const auto& v : values) x += tag("member", v);
  return x + "</" + name + ">";
}

std::string hex_of(std::string_view bytes) {
  return hex_encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::string key_element(const char* name, const SecretBytes& key) {
  std::string x = std::string("<") + name + "><bits>" + std::to_string(key.size() * 8) + "</bits><val>";
  x += hex_of(key.view());
  return x + "</val></" + name + ">";
}

std::string spi_text(uint32_t spi) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", spi);
  return buf;
}

// "(null)" is what PAN sends for an absent argument; the client treats it as missing.
std::string arg(const std::string& v) {
  return "<argument>" + xml_escape(v.empty() ? "(null)" : v) + "</argument>";
}

}  // namespace

bool is_auth_cookie(const std::string& c) {
  if (c.size() != 64) return false;
  for (char ch : c)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

std::optional<GpCookie> cookie_from(const http::Form& f) {
  GpCookie c;
  c.authcookie = f.value("authcookie");
  c.user = f.value("user");
  if (!is_auth_cookie(c.authcookie) || c.user.empty() || c.user.size() > 255) return std::nullopt;
  c.portal = f.value("portal").substr(0, 255);
  c.domain = f.value("domain").substr(0, 255);
  c.computer = f.value("computer").substr(0, 255);
  if (auto a = parse_ip(f.value("preferred-ip")); a && a->is_v4()) c.preferred_ip = a->to_string();
  if (auto a = parse_ip(f.value("preferred-ipv6")); a && !a->is_v4()) c.preferred_ipv6 = a->to_string();
  return c;
}

std::string prelogin_reply(const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<prelogin-response><status>Success</status>" +
         tag("authentication-message", message) +
         "<username-label>Username</username-label><password-label>Password</password-label>"
         "<panos-version>1</panos-version><region>sslvpnd</region></prelogin-response>\n";
}

std::string prelogin_no_portal() {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<prelogin-response><status>Error</status>"
         "<msg>GlobalProtect portal does not exist</msg></prelogin-response>\n";
}

std::string portal_config(const PortalConfig& c) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<policy>" +
                  tag("portal-name", c.portal_name) + "<version>4100</version>" + tag("user-name", c.user) +
                  tag("portal-userauthcookie", c.portal_cookie.empty() ? "empty" : c.portal_cookie) +
                  "<portal-prelogonuserauthcookie>empty</portal-prelogonuserauthcookie>"
                  "<hip-collection><hip-report-interval>" +
                  std::to_string(c.hip_interval) +
                  "</hip-report-interval></hip-collection><gateways><external><list>";
  for (const auto& g : c.gateways)
    x += "<entry name=\"" + xml_escape(g) + "\">" + tag("description", g) + "</entry>";
  return x + "</list></external></gateways></policy>\n";
}

std::string login_jnlp(const LoginResult& r) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<jnlp><application-desc>";
  x += arg("");            // 0
  x += arg(r.authcookie);  // 1
  x += arg(r.persistent);  // 2
  x += arg(r.portal);      // 3
  x += arg(r.user);        // 4
  x += arg("sslvpnd");     // 5: the auth source
  x += arg("vsys1");       // 6
  x += arg(r.domain);      // 7
  for (int i = 8; i <= 11; ++i) x += arg("");
  x += arg("tunnel");                                             // 12
  x += arg("-1");                                                 // 13
  x += arg("4100");                                               // 14
  x += arg(r.preferred_ip);                                       // 15
  x += arg(r.portal_cookie.empty() ? "empty" : r.portal_cookie);  // 16
  x += arg("empty");                                              // 17: portal-prelogonuserauthcookie
  x += arg(r.preferred_ipv6);                                     // 18
  x += arg("4");                                                  // 19
  x += arg("unknown");                                            // 20
  return x + "</application-desc></jnlp>\n";
}

std::string challenge(const std::string& message, const std::string& input_str) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<challenge>" + tag("user", "") +
         tag("inputstr", input_str) + tag("respmsg", message) + "</challenge>\n";
}

std::string error_reply(const std::string& text) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<response status=\"error\">" + tag("error", text) +
         "</response>\n";
}

std::string success_reply() {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<response status=\"success\"/>\n";
}

std::string hip_check_reply(bool needed) {
  return std::string(
             "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<response status=\"success\">"
             "<hip-report-needed>") +
         (needed ? "yes" : "no") + "</hip-report-needed></response>\n";
}

std::string logout_reply(const GpCookie& c) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<response status=\"success\">" +
         tag("portal", c.portal) + tag("domain", c.domain) + tag("user", c.user) +
         tag("computer", c.computer) + "</response>\n";
}

std::string getconfig_reply(const ipc::TunnelParams& p, const std::string& gw_address, uint32_t timeout,
                            const EspOffer* esp) {
  std::vector<std::string> v4_in, v4_out, v6_out;
  for (const auto& r : p.route_include())
    if (auto n = parse_ip_net(r); n && n->addr.is_v4()) v4_in.push_back(n->to_string());
  for (const auto& r : p.route_exclude())
    if (auto n = parse_ip_net(r)) (n->addr.is_v4() ? v4_out : v6_out).push_back(n->to_string());
  // No include route: everything goes through the tunnel, which the client does when the list
  // is absent (its script keeps the route to the server). openconnect 9.01 reads
  // access-routes-v6 as exclusions, so IPv6 includes are not sent: IPv6 then goes through the
  // tunnel whole.
  std::vector<std::string> dns4, dns6;
  for (const auto& d : p.dns())
    if (auto a = parse_ip(d)) (a->is_v4() ? dns4 : dns6).push_back(a->to_string());
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<response status=\"success\">";
  if (!p.ipv4_address().empty()) x += tag("ip-address", p.ipv4_address()) + tag("netmask", p.ipv4_netmask());
  if (!p.ipv6_address().empty()) x += tag("ip-address-v6", p.ipv6_address());
  x += tag("mtu", std::to_string(p.mtu()));
  x += "<ssl-tunnel-url>/ssl-tunnel-connect.sslvpn</ssl-tunnel-url>";
  x += members("dns", dns4);
  if (!dns6.empty()) x += members("dns-v6", dns6);
  if (!p.nbns().empty()) x += members("wins", {p.nbns().begin(), p.nbns().end()});
  if (!p.default_domain().empty()) x += members("dns-suffix", {p.default_domain()});
  if (!v4_in.empty()) x += members("access-routes", v4_in);
  if (!v4_out.empty()) x += members("exclude-access-routes", v4_out);
  if (!v6_out.empty()) x += members("exclude-access-routes-v6", v6_out);
  if (timeout) x += tag("timeout", std::to_string(timeout));
  if (p.session_remaining()) x += tag("lifetime", std::to_string(p.session_remaining()));
  if (p.idle_timeout()) x += tag("disconnect-on-idle", std::to_string(p.idle_timeout()));
  if (!gw_address.empty()) x += tag("gw-address", gw_address);
  if (esp != nullptr && esp->c2s && esp->s2c) {
    x += "<ipsec>" + tag("udp-port", std::to_string(esp->port)) + "<ipsec-mode>esp-tunnel</ipsec-mode>" +
         tag("enc-algo", esp_cipher_name(esp->c2s->cipher)) + tag("hmac-algo", esp_mac_name(esp->c2s->mac)) +
         tag("c2s-spi", spi_text(esp->c2s->spi)) + tag("s2c-spi", spi_text(esp->s2c->spi)) +
         key_element("ekey-c2s", esp->c2s->enc_key) + key_element("akey-c2s", esp->c2s->mac_key) +
         key_element("ekey-s2c", esp->s2c->enc_key) + key_element("akey-s2c", esp->s2c->mac_key) + "</ipsec>";
  }
  return x + "</response>\n";
}

}  // namespace sslvpn::gp
