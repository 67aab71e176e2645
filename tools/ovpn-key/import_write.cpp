// sslvpnd-ovpn-key import: the sslvpnd.conf made of what was read, each setting under the
// openvpn line it comes from; paths resolved as openvpn opened them; values checked to be ones
// sslvpnd.conf can hold.
#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "main/connect_output.hpp"
#include "tools/ovpn-key/import_state.hpp"

namespace sslvpn::ovpnkey {
namespace {

using mainproc::ConnectOutput;

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
                                     "push \"rcvbuf ",
                                     "push \"tun-ipv6",
                                     "push \"persist-tun",
                                     "push \"persist-key",
                                     "push \"push-peer-info"};
  return std::any_of(std::begin(kOwn), std::end(kOwn), [&](const char* p) { return ignored.starts_with(p); });
}

std::string printable(std::string v) {  // keeps '\n': a comment's own line breaks
  for (char& c : v)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) c = '?';
  return v;
}

struct Writer {
  std::string text;
  void block(const std::string& comment, const std::vector<std::string>& lines) {
    if (!comment.empty()) text += "# " + printable(comment) + "\n";
    for (const auto& l : lines) text += l + "\n";
    text += "\n";
  }
};

// A value as sslvpnd.conf reads it back: no control character or '"'; quoted when it holds
// " #" (else the reader takes it for a comment). False: it cannot be written.
bool conf_value(const std::string& v, std::string* out) {
  if (v.empty() || v.front() == ' ' || v.back() == ' ' || v.find('"') != std::string::npos) return false;
  if (std::any_of(v.begin(), v.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return false;
  bool comment = v.find(" #") != std::string::npos || v.find("\t#") != std::string::npos;
  *out = comment ? "\"" + v + "\"" : v;
  return true;
}

std::string srcs_comment(const std::vector<Src>& srcs) {
  std::string c;
  for (const auto& s : srcs) c += (c.empty() ? "" : "\n# ") + import_where(s);
  return c;
}

// Who logs in how: openvpn's verify-client-cert and its password check, as auth lines.
void write_auth(ImportState& s, Writer& w) {
  const std::string pw = "auth = \"" + s.password_method + "\"";
  if (!s.password_why.empty())
    s.warnings.push_back(
        import_where(s.password_src) + ": " + s.password_why + "; users give a password from " +
        kImportPasswordFile +
        " instead (create it with sslvpnd-passwd), or replace that auth line with pam[...] or "
        "radius[...]");
  if (s.cert_mode == "require") {
    std::vector<std::string> lines = {"auth = \"certificate\""};
    if (s.password) lines.push_back(pw);
    std::string c =
        (s.cert_src.line ? import_where(s.cert_src) : "verify-client-cert require (openvpn's default)") +
        "\n# every client shows a certificate issued by ca-cert";
    if (s.password) c += "\n# and gives a password (" + import_where(s.password_src) + ")";
    w.block(c, lines);
    if (s.password)
      s.warnings.push_back(
          "certificate and password: sslvpnd takes the user from the certificate (cert-user-oid, the CN) and "
          "checks "
          "that user's password; a client whose auth-user-pass name differs from its certificate's is "
          "refused");
    return;
  }
  if (s.password) {
    w.block(import_where(s.password_src) + "\n# " + import_where(s.cert_src) +
                ": no client certificate is checked",
            {pw});
    if (s.cert_mode == "optional")
      s.warnings.push_back(import_where(s.cert_src) +
                           ": a certificate a client shows is no longer checked; the "
                           "password is");
    return;
  }
  // No password check and no certificate required: openvpn let anyone with the tls key in.
  s.password_method = std::string("plain[passwd=") + kImportPasswordFile + "]";
  s.warnings.push_back(import_where(s.cert_src) +
                       ": nothing checked who logs in; sslvpnd asks for a password from " +
                       kImportPasswordFile + " (create it with sslvpnd-passwd)");
  w.block(import_where(s.cert_src), {"auth = \"" + s.password_method + "\""});
}

// Each push read on its own (as openvpn sends it), the results together.
ConnectOutput read_pushes(ImportState& s) {
  ConnectOutput all;
  auto add = [](auto& list, const auto& items) {
    for (const auto& x : items)
      if (std::find(list.begin(), list.end(), x) == list.end()) list.push_back(x);
  };
  for (const auto& p : s.pushes) {
    std::string quoted = "push \"";
    for (char c : p) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    std::string err;
    auto one = mainproc::parse_connect_output(quoted + "\"\n", &err);
    if (!one.ok()) {
      s.warnings.push_back("push \"" + p + "\": " + err + "; not carried over");
      continue;
    }
    all.redirect4 = all.redirect4 || one->redirect4;
    all.redirect6 = all.redirect6 || one->redirect6;
    add(all.routes, one->routes);
    add(all.no_routes, one->no_routes);
    add(all.dns, one->dns);
    add(all.nbns, one->nbns);
    add(all.split_dns, one->split_dns);
    if (all.domain.empty()) all.domain = one->domain;
    for (const auto& i : one->ignored)
      if (!pushed_anyway(i)) s.warnings.push_back(i + ": not pushed by sslvpnd");
  }
  return all;
}

// Routes, DNS and domains: what the push lines gave clients.
void write_pushes(ImportState& s, Writer& w) {
  ConnectOutput out = read_pushes(s);
  std::vector<std::string> lines;
  bool six = s.net6.src.line != 0;
  if (out.redirect4 && (out.redirect6 || !six)) {
    lines.push_back("route = default");
  } else {
    if (out.redirect4) lines.insert(lines.end(), {"route = 0.0.0.0/1", "route = 128.0.0.0/1"});
    if (out.redirect6) lines.push_back("route = ::/0");
    for (const auto& r : out.routes) lines.push_back("route = " + r.to_string());
  }
  std::string comment = srcs_comment(s.push_srcs);
  if (lines.empty()) {  // sslvpnd's default is everything: route the VPN's own networks alone
    lines.push_back("route = " + s.net4.value.to_string());
    if (six) lines.push_back("route = " + s.net6.value.to_string());
    comment = (comment.empty() ? "" : comment + "\n# ") +
              "no route pushed: clients route only the VPN's own network" + (six ? "s" : "") +
              " (sslvpnd's default would be everything)";
  }
  for (const auto& r : out.no_routes) lines.push_back("no-route = " + r.to_string());
  w.block(comment, lines);
  lines.clear();
  auto dns = out.dns;
  for (const auto& a : s.dns_servers)
    if (std::find(dns.begin(), dns.end(), a) == dns.end()) dns.push_back(a);
  for (const auto& a : dns) lines.push_back("dns = " + a.to_string());
  for (const auto& a : out.nbns) lines.push_back("nbns = " + a.to_string());
  std::string domain = out.domain;
  auto search = out.split_dns;
  for (const auto& d : s.search_domains) (domain.empty() ? domain : search.emplace_back()) = d;
  if (!domain.empty()) lines.push_back("default-domain = " + domain);
  for (const auto& d : search) lines.push_back("split-dns = " + d);
  if (!lines.empty()) w.block("DNS (push \"dhcp-option ...\", push \"dns ...\")", lines);
}

void write_network(ImportState& s, Writer& w) {
  w.block(
      import_where(s.port.src) +
          (s.proto_src.line ? "\n# " + import_where(s.proto_src) : "\n# proto udp (openvpn's default)"),
      {std::string(s.tcp ? "openvpn-tcp-port" : "openvpn-udp-port") + " = " + std::to_string(s.port.value)});
  std::vector<std::string> lines = {"ipv4-network = " + s.net4.value.to_string()};
  std::string c = import_where(s.net4.src);
  if (s.net6.src.line) {
    lines.push_back("ipv6-network = " + s.net6.value.to_string());
    c += "\n# " + import_where(s.net6.src);
  }
  w.block(c + "\n# the network's first address is the server's; clients lease the rest", lines);
}

std::string upper(std::string d) {
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char x) { return std::toupper(x); });
  return d;
}

void write_wrapping(ImportState& s, Writer& w) {
  if (!s.tls_auth.src.line) {
    if (s.auth_digest.src.line)
      s.notes.push_back(import_where(s.auth_digest.src) + ": not needed: the data channel is AEAD");
    return;
  }
  std::string file = s.path(s.tls_auth.value), value;
  if (file.find_first_of(" \t") != std::string::npos || !conf_value(file, &value))
    return s.fatal(s.tls_auth.src,
                   "a key file path with blanks or quotes, which openvpn-tls-auth cannot name");
  std::vector<std::string> lines = {"openvpn-tls-auth = " + value +
                                    (s.key_direction.empty() ? "" : " " + s.key_direction)};
  std::string digest = upper(s.auth_digest.value);
  static const char* const kDigests[] = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
  if (!digest.empty() &&
      std::none_of(std::begin(kDigests), std::end(kDigests), [&](const char* d) { return digest == d; }))
    return s.fatal(s.auth_digest.src,
                   "tls-auth with an HMAC sslvpnd does not have (SHA1, SHA224, SHA256, SHA384, SHA512)");
  if (!digest.empty() && digest != "SHA1") lines.push_back("openvpn-auth = " + digest);
  w.block(
      import_where(s.tls_auth.src) + (s.auth_digest.src.line ? "\n# " + import_where(s.auth_digest.src) : ""),
      lines);
}

// The settings, their paths resolved: from the last `cd`, or inside `chroot` for what openvpn
// opened after entering it.
void write_settings(ImportState& s, Writer& w) {
  std::string root = s.chroot.empty() ? "" : s.path(s.chroot);
  for (auto& x : s.settings) {
    std::string v = x.value;
    if (x.path == ImportState::PathKind::Chroot && !root.empty())
      v = root + (x.value.starts_with("/") ? "" : "/") + x.value;
    else if (x.path != ImportState::PathKind::None)
      v = s.path(x.value);
    std::string out;
    bool blank_ok = x.suffix.empty();  // openvpn-status = FILE SECONDS splits at the blank
    if (!conf_value(v, &out) || (!blank_ok && v.find_first_of(" \t") != std::string::npos))
      return s.fatal(
          x.src, "a value sslvpnd.conf cannot hold (a control character, a '\"', or blanks where it splits)");
    w.block(import_where(x.src) + (x.note.empty() ? "" : "\n# " + x.note), {x.key + " = " + out + x.suffix});
  }
}

bool has(const ImportState& s, const char* key) {
  return std::any_of(s.settings.begin(), s.settings.end(), [&](const auto& x) { return x.key == key; });
}

// Without duplicate-cn openvpn keeps one connection per common name, the newest (a new one ends
// the older): the certificate's CN, or the login name with username-as-common-name. Clients
// with neither are all "UNDEF", which openvpn does not compare: no limit. With an optional
// certificate, sslvpnd's user is the login name, which openvpn did not compare either.
void write_same_clients(const ImportState& s, Writer& w) {
  if (has(s, "max-same-clients")) return;  // duplicate-cn
  if (s.cert_mode != "require" && !s.username_cn)
    return w.block(
        "no duplicate-cn, but logins by password without username-as-common-name: openvpn compared\n"
        "# no names for them, so any number of sessions per user",
        {"max-same-clients = 0"});
  w.block(
      "no duplicate-cn: one session per user (openvpn's common name); a new connection ends the\n"
      "# older one, whose client is told not to come back",
      {"max-same-clients = 1", "replace-same-clients = true"});
}

}  // namespace

std::string import_header(const std::vector<std::string>& sources) {
  std::string names;
  for (size_t i = 0; i < sources.size(); ++i)
    names += (i == 0                    ? ""
              : i + 1 == sources.size() ? " and "
                                        : ", ") +
             replace_control_chars(sources[i], '?');
  return std::string("# sslvpnd configuration made by `sslvpnd-ovpn-key import` from the openvpn server ") +
         (sources.size() > 1 ? "configurations\n# " : "configuration\n# ") + names +
         ". Check it with `sslvpnd -t -c FILE`. Each setting is under the openvpn line\n"
         "# it comes from; the end lists what was not carried over.\n\n";
}

std::string import_tail(const std::vector<std::string>& notes, const std::vector<std::string>& warnings) {
  std::string t;
  if (!notes.empty()) {
    t += "# Done by sslvpnd of itself, or not needed:\n";
    for (const auto& n : notes) t += "#   " + replace_control_chars(n, '?') + "\n";
    t += "\n";
  }
  if (!warnings.empty()) {
    t += "# NOT carried over (the server no longer does this):\n";
    for (const auto& n : warnings) t += "#   " + replace_control_chars(n, '?') + "\n";
  }
  return t;
}

Result<ImportResult> ImportState::finish(std::string* err) {
  if (error.empty() && !net4.src.line)
    error =
        "no address pool: not an openvpn server with 'server NETWORK NETMASK' (or 'mode server' and "
        "'ifconfig')";
  for (auto [key, directive] : {std::pair{"ca-cert", "ca"}, {"server-cert", "cert"}, {"server-key", "key"}})
    if (error.empty() && !has(*this, key))
      error = std::string("no '") + directive + "' (the server needs it)";
  Writer w;
  w.block(
      "AnyConnect/OpenConnect and GlobalProtect: off, as the openvpn server served OpenVPN alone.\n"
      "# Give them a port (tcp-port = 443, and udp-port = 443 for DTLS) to serve them too, with the same\n"
      "# logins, addresses and routes.",
      {"tcp-port = 0"});
  if (error.empty()) {
    write_network(*this, w);
    write_auth(*this, w);
    write_wrapping(*this, w);
  }
  if (error.empty()) write_settings(*this, w);
  if (error.empty()) write_same_clients(*this, w);
  if (error.empty()) write_pushes(*this, w);
  if (!error.empty()) {
    if (err) *err = error;
    return Errc::Malformed;
  }
  ImportResult r;
  r.config = import_header({args.source}) + w.text + import_tail(notes, warnings);
  r.body = std::move(w.text);
  r.notes = std::move(notes);
  r.warnings = std::move(warnings);
  r.weakened = std::move(weakened);
  r.files = std::move(files);
  return r;
}

}  // namespace sslvpn::ovpnkey
