// The login methods of `auth` and `enable-auth` lines (common/config_auth.hpp).
#include "common/config_auth.hpp"

#include "common/text.hpp"

namespace sslvpn {

AuthMethod parse_auth_method(std::string_view spec) {
  AuthMethod m;
  spec = trim(spec);
  auto open = spec.find('[');
  if (open == std::string_view::npos) {
    m.name = lowercase(spec);  // ocserv compares method names without case
    return m;
  }
  if (spec.back() != ']') throw ConfigError("auth method '" + std::string(spec) + "': missing ']'");
  m.name = lowercase(trim(spec.substr(0, open)));
  std::string_view body = spec.substr(open + 1, spec.size() - open - 2);
  while (!body.empty()) {
    auto comma = body.find(',');
    std::string_view item = trim(body.substr(0, comma));
    body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      // ocserv's old form plain[/path/to/passwd]
      if (m.name == "plain" && m.params.count("passwd") == 0) {
        m.params["passwd"] = std::string(item);
        continue;
      }
      m.params[std::string(item)] = "true";
      continue;
    }
    m.params[std::string(trim(item.substr(0, eq)))] = std::string(trim(item.substr(eq + 1)));
  }
  return m;
}

// Adds one `auth`/`enable-auth` value to a chain: at most a certificate and one password method.
void add_auth_method(const cfgval::Where& c, std::vector<ConfigWarning>* warnings, AuthChain& chain,
                     std::string_view v) {
  AuthMethod m = parse_auth_method(v);
  if (m.name == "certificate") {
    chain.certificate = true;
    return;
  }
  if (m.name == "gssapi" || m.name == "oidc") {  // ocserv's, not ours: this way in is left out
    if (warnings)
      warnings->push_back(
          {c.line, "auth method '" + m.name + "' (ocserv's " +
                       (m.name == "gssapi" ? "Kerberos/SPNEGO" : "OpenID Connect") +
                       ") is not implemented by sslvpnd; the login method of this line is left out"});
    chain.unsupported = m.name;
    return;
  }
  if (m.name != "plain" && m.name != "pam" && m.name != "radius")
    cfgval::fail(c.origin, c.line,
                 "unknown auth method '" + m.name + "' (supported: plain, pam, radius, certificate)");
  if (m.name == "radius" && m.params.count("config") == 0)
    m.params["config"] = "/etc/radcli/radiusclient.conf";
  if (chain.password)
    cfgval::fail(c.origin, c.line,
                 "only one password method per login ('" + chain.password->name +
                     "' is already set); use "
                     "'enable-auth' for an alternative");
  if (m.name == "plain" && (m.params.count("passwd") == 0 || m.params["passwd"].empty()) &&
      (m.params.count("otp") == 0 || m.params["otp"].empty()))
    cfgval::fail(c.origin, c.line, "auth = plain[...] needs passwd=FILE (and/or otp=FILE)");
  if (m.name == "pam") {
    if (m.params.count("service") == 0) m.params["service"] = "sslvpnd";
    if (m.params.count("gid-min")) {
      cfgval::Where sub = c;
      sub.key = "gid-min";
      (void)cfgval::parse_uint(sub, m.params["gid-min"], 0xffffffffu);
    }
  }
  chain.password = std::move(m);
}

}  // namespace sslvpn
