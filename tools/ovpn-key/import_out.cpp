// sslvpnd-ovpn-key import: what was read (import_state.hpp), written as an sslvpnd.conf with
// each setting under the openvpn line it comes from.
#include <algorithm>

#include "main/connect_output.hpp"
#include "tools/ovpn-key/import_state.hpp"

namespace sslvpn::ovpnkey {
namespace {

constexpr const char* kPasswordFile = "/etc/sslvpnd/passwd";

std::string where(const Src& src) {
  return src.line ? "line " + std::to_string(src.line) + ": " + src.raw : std::string("openvpn's default");
}

// The pushes openvpn's clients take that sslvpnd sends of itself (ping, topology...) or that
// change nothing for them.
bool pushed_anyway(const std::string& ignored) {
  static const char* const kOwn[] = {"push \"ping ",
                                     "push \"ping-restart ",
                                     "push \"topology ",
                                     "push \"route-gateway",
                                     "push \"comp-lzo",
                                     "push \"compress",
                                     "push \"explicit-exit-notify",
                                     "push \"sndbuf ",
                                     "push \"rcvbuf "};
  return std::any_of(std::begin(kOwn), std::end(kOwn), [&](const char* p) { return ignored.starts_with(p); });
}

// openvpn 2.6's "dns server N address" forms: 10.0.0.1, 10.0.0.1:53, fd00::1, [fd00::1]:53.
std::optional<IpAddr> dns_address(const std::string& w) {
  if (w.starts_with("[")) return parse_ip(w.substr(1, w.find(']') - 1));
  if (w.find('.') != std::string::npos) return parse_ip(w.substr(0, w.find(':')));
  return parse_ip(w);
}

struct Writer {
  std::string text;
  void block(const std::string& comment, const std::vector<std::string>& lines) {
    if (!comment.empty()) text += "# " + comment + "\n";
    for (const auto& l : lines) text += l + "\n";
    text += "\n";
  }
};

}  // namespace

void ImportState::set(const std::string& key, const std::string& value, const Src& src,
                      const std::string& note) {
  std::erase_if(settings, [&](const Setting& s) { return s.key == key; });  // openvpn: the last one wins
  settings.push_back({key, value, src, note});
}
void ImportState::warn(const Src& src, const std::string& why) {
  warnings.push_back(where(src) + ": " + why);
}
void ImportState::note(const Src& src, const std::string& why) {
  notes.push_back(where(src) + ": " + why);
}
void ImportState::fatal(const Src& src, const std::string& why) {
  if (error.empty()) error = where(src) + ": " + why;
}

std::string ImportState::path(const std::string& p) const {
  if (p.starts_with("/") || base_dir.empty()) return p;
  return base_dir + (base_dir.ends_with("/") ? "" : "/") + p;
}

std::string ImportState::inline_path(const std::string& suffix, const std::string& text, const Src& src) {
  if (args.out.empty()) {
    fatal(src, "inline files (<ca>, <key>...) need an output file (-o FILE) to be written beside");
    return "";
  }
  std::string stem = args.out;
  if (stem.ends_with(".conf")) stem.resize(stem.size() - 5);
  std::string p = stem + "-" + suffix;
  std::erase_if(files, [&](const ImportedFile& f) { return f.path == p; });
  files.push_back({p, text});
  return p;
}

void ImportState::push(const std::vector<std::string>& words, const Src& src) {
  if (words.size() != 2) return warn(src, "not one quoted option; not carried over");
  pushes.push_back(src.raw);
  push_srcs.push_back(src);
}

void ImportState::dns(const std::vector<std::string>& w, const Src& src) {
  if (w.size() >= 5 && w[1] == "server" && w[3] == "address") {
    for (size_t i = 4; i < w.size(); ++i) {
      if (auto a = dns_address(w[i])) dns_servers.push_back(*a);
    }
  } else if (w.size() >= 3 && w[1] == "search-domains") {
    search_domains.insert(search_domains.end(), w.begin() + 2, w.end());
  } else {
    return warn(src, "not carried over (sslvpnd takes 'dns server N address' and 'dns search-domains')");
  }
  dns_srcs.push_back(src);
}

void ImportState::set_password(const std::string& method, const Src& src, const std::string& why) {
  password = true;
  if (!method.empty() && password_why.empty()) {
    password_method = method;
    password_src = src;
    return;
  }
  if (!method.empty()) return;
  password_method = std::string("plain[passwd=") + kPasswordFile + "]";
  password_src = src;
  password_why = why;
}

namespace {

std::string srcs_comment(const std::vector<Src>& srcs) {
  std::string c;
  for (const auto& s : srcs) c += (c.empty() ? "" : "\n# ") + where(s);
  return c;
}

// Who logs in how: openvpn's verify-client-cert and its password check, as auth lines.
void write_auth(ImportState& s, Writer& w) {
  const std::string pw = "auth = \"" + s.password_method + "\"";
  if (!s.password_why.empty())
    s.warnings.push_back(where(s.password_src) + ": " + s.password_why + "; users give a password from " +
                         kPasswordFile +
                         " instead (create it with sslvpnd-passwd), or replace that auth "
                         "line with pam[...] or radius[...]");
  if (s.cert_mode == "require") {
    std::vector<std::string> lines = {"auth = \"certificate\""};
    if (s.password) lines.push_back(pw);
    std::string c = (s.cert_src.line ? where(s.cert_src) : "verify-client-cert require (openvpn's default)") +
                    "\n# every client shows a certificate issued by ca-cert";
    if (s.password) c += "\n# and gives a password (" + where(s.password_src) + ")";
    w.block(c, lines);
    if (s.password)
      s.notes.push_back(
          "certificate and password: sslvpnd takes the user from the certificate (cert-user-oid, "
          "the CN) and checks that user's password; a client whose auth-user-pass name differs "
          "from its certificate's is refused");
    return;
  }
  if (s.password) {
    w.block(where(s.password_src) + "\n# " + where(s.cert_src) + ": no client certificate is checked", {pw});
    if (s.cert_mode == "optional")
      s.warnings.push_back(where(s.cert_src) +
                           ": a certificate a client shows is no longer checked; the "
                           "password is");
    return;
  }
  // No password check and no certificate required: openvpn let anyone with the tls key in.
  s.password_method = std::string("plain[passwd=") + kPasswordFile + "]";
  s.warnings.push_back(where(s.cert_src) +
                       ": nothing checked who logs in; sslvpnd asks for a password from " + kPasswordFile +
                       " (create it with sslvpnd-passwd)");
  w.block(where(s.cert_src), {"auth = \"" + s.password_method + "\""});
}

// Routes, DNS and domains: what the push lines (and 2.6's dns) gave clients.
void write_pushes(ImportState& s, Writer& w) {
  std::string joined, err;
  for (const auto& p : s.pushes) joined += p + "\n";
  auto out = mainproc::parse_connect_output(joined, &err);
  if (!out.ok()) {
    s.warnings.push_back("push lines: " + err + "; none carried over");
    out = mainproc::ConnectOutput{};
  }
  for (const auto& i : out->ignored)
    if (!pushed_anyway(i)) s.warnings.push_back(i + ": not pushed by sslvpnd");
  std::vector<std::string> lines;
  bool six = s.net6.src.line != 0;
  if (out->redirect4 && (out->redirect6 || !six)) {
    lines.push_back("route = default");
  } else {
    if (out->redirect4) lines.insert(lines.end(), {"route = 0.0.0.0/1", "route = 128.0.0.0/1"});
    if (out->redirect6) lines.push_back("route = ::/0");
    for (const auto& r : out->routes) lines.push_back("route = " + r.to_string());
  }
  for (const auto& r : out->no_routes) lines.push_back("no-route = " + r.to_string());
  if (lines.empty()) {  // sslvpnd's default is everything: route the VPN's own networks alone
    lines.push_back("route = " + s.net4.value.to_string());
    if (six) lines.push_back("route = " + s.net6.value.to_string());
    w.block("no route pushed: clients route only the VPN's own network" + std::string(six ? "s" : "") +
                " (sslvpnd's default would be everything)",
            lines);
  } else {
    w.block(srcs_comment(s.push_srcs), lines);
  }
  lines.clear();
  auto dns = out->dns;
  for (const auto& a : s.dns_servers)
    if (std::find(dns.begin(), dns.end(), a) == dns.end()) dns.push_back(a);
  for (const auto& a : dns) lines.push_back("dns = " + a.to_string());
  for (const auto& a : out->nbns) lines.push_back("nbns = " + a.to_string());
  std::string domain = out->domain;
  auto search = out->split_dns;
  for (const auto& d : s.search_domains) (domain.empty() ? domain : search.emplace_back()) = d;
  if (!domain.empty()) lines.push_back("default-domain = " + domain);
  for (const auto& d : search) lines.push_back("split-dns = " + d);
  if (!lines.empty()) w.block("DNS (push \"dhcp-option ...\", dns)", lines);
}

void write_network(ImportState& s, Writer& w) {
  const bool tcp = s.tcp;
  w.block(
      where(s.port.src) +
          (s.proto_src.line ? "\n# " + where(s.proto_src) : "\n# proto udp (openvpn's default)"),
      {std::string(tcp ? "openvpn-tcp-port" : "openvpn-udp-port") + " = " + std::to_string(s.port.value)});
  std::vector<std::string> lines = {"ipv4-network = " + s.net4.value.to_string()};
  std::string c = where(s.net4.src);
  if (s.net6.src.line) {
    lines.push_back("ipv6-network = " + s.net6.value.to_string());
    c += "\n# " + where(s.net6.src);
  }
  w.block(c + "\n# the network's first address is the server's; clients lease the rest", lines);
}

void write_wrapping(ImportState& s, Writer& w) {
  if (s.tls_auth.src.line) {
    std::string v = s.tls_auth.value + (s.key_direction.empty() ? "" : " " + s.key_direction);
    std::vector<std::string> lines = {"openvpn-tls-auth = " + v};
    std::string digest = s.auth_digest.value;
    std::transform(digest.begin(), digest.end(), digest.begin(),
                   [](unsigned char x) { return std::toupper(x); });
    if (!digest.empty() && digest != "SHA1") lines.push_back("openvpn-auth = " + digest);
    w.block(where(s.tls_auth.src) + (s.auth_digest.src.line ? "\n# " + where(s.auth_digest.src) : ""), lines);
  } else if (s.auth_digest.src.line) {
    s.notes.push_back(where(s.auth_digest.src) + ": not needed: the data channel is AEAD");
  }
}

bool has(const ImportState& s, const char* key) {
  return std::any_of(s.settings.begin(), s.settings.end(), [&](const auto& x) { return x.key == key; });
}

}  // namespace

Result<ImportResult> ImportState::finish(std::string* err) {
  if (error.empty() && !net4.src.line)
    error =
        "no address pool: not an openvpn server with 'server NETWORK NETMASK' (or 'mode server' and "
        "'ifconfig')";
  for (auto [key, directive] : {std::pair{"ca-cert", "ca"}, {"server-cert", "cert"}, {"server-key", "key"}})
    if (error.empty() && !has(*this, key))
      error = std::string("no '") + directive + "' (the server needs it)";
  if (!error.empty()) {
    if (err) *err = error;
    return Errc::Malformed;
  }
  Writer w;
  w.text =
      "# sslvpnd configuration made by `sslvpnd-ovpn-key import` from the openvpn server configuration\n# " +
      args.source +
      ". Check it with `sslvpnd -t -c FILE`. Each setting is under the openvpn line\n"
      "# it comes from; the end lists what was not carried over.\n\n";
  w.block(
      "AnyConnect/OpenConnect and GlobalProtect: off, as the openvpn server served OpenVPN alone.\n"
      "# Give them a port (tcp-port = 443, and udp-port = 443 for DTLS) to serve them too, with the same\n"
      "# logins, addresses and routes.",
      {"tcp-port = 0"});
  write_network(*this, w);
  write_auth(*this, w);
  write_wrapping(*this, w);
  for (const auto& x : settings)
    w.block(where(x.src) + (x.note.empty() ? "" : "\n# " + x.note), {x.key + " = " + x.value});
  write_pushes(*this, w);
  if (!notes.empty()) {
    w.text += "# Done by sslvpnd of itself, or not needed:\n";
    for (const auto& n : notes) w.text += "#   " + n + "\n";
    w.text += "\n";
  }
  if (!warnings.empty()) {
    w.text += "# NOT carried over (the server no longer does this):\n";
    for (const auto& n : warnings) w.text += "#   " + n + "\n";
  }
  return ImportResult{std::move(w.text), std::move(warnings), std::move(files)};
}

}  // namespace sslvpn::ovpnkey
