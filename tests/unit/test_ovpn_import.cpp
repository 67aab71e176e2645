#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "common/config.hpp"
#include "tools/ovpn-key/import.hpp"
#include "tools/ovpn-key/openvpn_conf.hpp"

using namespace sslvpn;
using namespace sslvpn::ovpnkey;

namespace {

const ImportArgs kArgs{"/etc/openvpn/server/server.conf", "/etc/openvpn/server", "/etc/sslvpnd/sslvpnd.conf"};
constexpr const char* kBase =
    "port 1194\nproto udp\ndev tun\nca ca.crt\ncert server.crt\nkey server.key  # secret\n"
    "dh dh2048.pem\ntopology subnet\nserver 10.8.0.0 255.255.255.0\nkeepalive 10 120\n";

ImportResult import(const std::string& text, const ImportArgs& a = kArgs) {
  std::string error;
  auto r = import_openvpn_server(text, a, &error);
  INFO(error);
  REQUIRE(r.ok());
  return *r;
}
std::string refusal(const std::string& text, const ImportArgs& a = kArgs) {
  std::string error;
  auto r = import_openvpn_server(text, a, &error);
  REQUIRE_FALSE(r.ok());
  return error;
}
// The imported text as sslvpnd reads it: what a user of the tool gets.
Config loaded(const ImportResult& r) {
  std::vector<ConfigWarning> w;
  Config c = parse_config(r.config, "imported", &w);
  for (const auto& x : w) UNSCOPED_INFO("warning line " << x.line << ": " << x.text);
  CHECK(w.empty());
  return c;
}
bool has_line(const ImportResult& r, const std::string& line) {
  return ("\n" + r.config).find("\n" + line + "\n") != std::string::npos;
}
bool warned(const ImportResult& r, const std::string& part) {
  for (const auto& w : r.warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("openvpn configuration: directives, comments, quotes and inline files", "[ovpn-import]") {
  std::string error;
  auto d = parse_openvpn_conf(
      "# comment\n; comment\n--port 1195\npush \"route 10.0.0.0 255.0.0.0\"  # tail\n"
      "<ca>\nPEM line\n  indented\n</ca>\r\ntls-verify 'a b'\n",
      &error);
  REQUIRE(d.ok());
  REQUIRE(d->size() == 4);
  CHECK((*d)[0].words == std::vector<std::string>{"port", "1195"});
  CHECK((*d)[0].line == 3);
  CHECK((*d)[1].words == std::vector<std::string>{"push", "route 10.0.0.0 255.0.0.0"});
  CHECK((*d)[2].is_inline);
  CHECK((*d)[2].words == std::vector<std::string>{"ca"});
  CHECK((*d)[2].inline_text == "PEM line\n  indented\n");
  CHECK((*d)[3].words == std::vector<std::string>{"tls-verify", "a b"});

  CHECK_FALSE(parse_openvpn_conf("ca x\n<key>\nsecret\n", &error).ok());
  CHECK(error == "line 2: <key> has no </key>");
  CHECK_FALSE(parse_openvpn_conf("push \"route 1.2.3.4\n", &error).ok());
  CHECK(error == "line 1: an unterminated quote");
  CHECK_FALSE(parse_openvpn_conf(std::string("port 1\0", 7), &error).ok());
  CHECK(error == "the file holds a NUL byte");
  CHECK(parse_openvpn_conf(std::string(kMaxOpenvpnConf + 1, '#'), &error).error() == Errc::Limit);
}

TEST_CASE("import: Debian's sample server, certificate logins", "[ovpn-import]") {
  auto r = import(std::string(kBase) +
                  "ifconfig-pool-persist ipp.txt\nstatus s.log\nverb 3\nexplicit-exit-notify 1\n");
  CHECK(r.warnings.empty());
  CHECK(r.files.empty());
  Config c = loaded(r);
  CHECK(c.tcp_port == 0);  // OpenVPN alone, as before
  CHECK(c.openvpn_udp_port == 1194);
  CHECK(c.openvpn_tcp_port == 0);
  CHECK(c.ipv4_network->to_string() == "10.8.0.0/24");
  CHECK(c.ca_cert == "/etc/openvpn/server/ca.crt");
  CHECK(c.server_cert == "/etc/openvpn/server/server.crt");
  CHECK(c.server_key == "/etc/openvpn/server/server.key");
  CHECK(c.cert_login_mode() == 2);  // a certificate, and nothing else, logs in
  CHECK(c.dpd == 120);
  // No route pushed: the VPN's own network, not sslvpnd's default of everything.
  CHECK_FALSE(c.route_default);
  REQUIRE(c.routes.size() == 1);
  CHECK(c.routes[0].to_string() == "10.8.0.0/24");
  CHECK(has_line(r, "# line 9: server 10.8.0.0 255.255.255.0"));
  // No duplicate-cn: one session per certificate, the newest.
  CHECK(c.max_same_clients == 1);
  CHECK(c.replace_same_clients);
}

TEST_CASE("import: sessions per name follow duplicate-cn and what names a client", "[ovpn-import]") {
  const std::string pam = "plugin /usr/lib/openvpn/openvpn-plugin-auth-pam.so openvpn\n";
  // Passwords alone, no username-as-common-name: every client is "UNDEF", never compared.
  auto undef = loaded(import(std::string(kBase) + pam + "verify-client-cert none\n"));
  CHECK(undef.max_same_clients == 0);
  CHECK_FALSE(undef.replace_same_clients);
  // With it, the login name is the common name: one session per user, the newest.
  auto named =
      loaded(import(std::string(kBase) + pam + "verify-client-cert none\nusername-as-common-name\n"));
  CHECK(named.max_same_clients == 1);
  CHECK(named.replace_same_clients);
  // An optional certificate: sslvpnd's user is the login name, which openvpn did not compare.
  auto opt = loaded(import(std::string(kBase) + pam + "verify-client-cert optional\n"));
  CHECK(opt.max_same_clients == 0);
  CHECK_FALSE(opt.replace_same_clients);
  auto dup = loaded(import(std::string(kBase) + "duplicate-cn\n"));
  CHECK(dup.max_same_clients == 0);
  CHECK_FALSE(dup.replace_same_clients);
}

TEST_CASE("import: pushes, DNS, IPv6 and the redirect flags", "[ovpn-import]") {
  std::string six = std::string(kBase) + "server-ipv6 fd00:8::/64\n";
  auto r =
      import(six +
             "push \"route 192.168.1.0 255.255.255.0\"\npush \"route 10.1.0.0 255.255.0.0 net_gateway\"\n"
             "push \"route-ipv6 2001:db8::/32\"\npush \"dhcp-option DNS 10.8.0.1\"\n"
             "push \"dhcp-option DOMAIN corp.example\"\npush \"dhcp-option DOMAIN-SEARCH lab.example\"\n"
             "push \"dns server 0 address [fd00:8::1]:53 10.8.0.2:53\"\n"
             "push \"dns search-domains x.example\"\ndns server 0 address 10.99.0.1\n"
             "push \"ping 10\"\npush \"block-outside-dns\"\n");
  Config c = loaded(r);
  CHECK(c.ipv6_network->to_string() == "fd00:8::/64");
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0].to_string() == "192.168.1.0/24");
  CHECK(c.routes[1].to_string() == "2001:db8::/32");
  REQUIRE(c.no_routes.size() == 1);
  CHECK(c.no_routes[0].to_string() == "10.1.0.0/16");
  REQUIRE(c.dns.size() == 3);
  CHECK(c.dns[1].to_string() == "fd00:8::1");
  CHECK(c.default_domain == "corp.example");
  CHECK(c.split_dns == std::vector<std::string>{"lab.example", "x.example"});
  CHECK(warned(r, "push \"block-outside-dns\": not pushed"));
  CHECK(std::find(c.dns.begin(), c.dns.end(), parse_ip("10.99.0.1").value()) == c.dns.end());  // not pushed
  CHECK_FALSE(warned(r, "ping"));  // sslvpnd pushes ping of itself

  // def1 alone with an IPv6 pool: all of IPv4, not IPv6 (sslvpnd's "default" would be both).
  auto v4 = loaded(import(six + "push \"redirect-gateway def1 bypass-dhcp\"\n"));
  CHECK_FALSE(v4.route_default);
  REQUIRE(v4.routes.size() == 2);
  CHECK(v4.routes[0].to_string() == "0.0.0.0/1");
  CHECK(v4.routes[1].to_string() == "128.0.0.0/1");
  CHECK(loaded(import(six + "push \"redirect-gateway def1 ipv6\"\n")).route_default);
  CHECK(loaded(import(std::string(kBase) + "push \"redirect-gateway def1\"\n")).route_default);
}

TEST_CASE("import: control-channel keys, ciphers and the rest of the mapped keys", "[ovpn-import]") {
  auto r = import(std::string(kBase) +
                  "proto tcp-server\nport 443\ntls-auth ta.key\nkey-direction 0\nauth SHA256\n"
                  "data-ciphers AES-256-GCM:?CHACHA20-POLY1305:AES-256-CBC\ncipher AES-256-CBC\n"
                  "reneg-sec 600\nduplicate-cn\nmax-clients 50\ntun-mtu 1400\ninactive 3600\n"
                  "cd /srv/ovpn\nclient-config-dir ccd\nccd-exclusive\n"
                  "client-connect /usr/local/bin/cc.sh\nauth-gen-token 7200\n"
                  "x509-username-field UID\ncrl-verify crl.pem\n");
  Config c = loaded(r);
  CHECK(c.openvpn_tcp_port == 443);
  CHECK(c.openvpn_udp_port == 0);
  CHECK(c.openvpn_tls_auth == "/srv/ovpn/ta.key");  // every relative path from the last cd, as openvpn
  CHECK(c.openvpn_tls_auth_direction == 0);
  CHECK(c.openvpn_auth == "SHA256");
  CHECK(c.openvpn_data_ciphers == "AES-256-GCM:CHACHA20-POLY1305");
  CHECK(warned(r, "'AES-256-CBC' is not offered"));
  CHECK(warned(r, "cipher AES-256-CBC: clients that cannot negotiate"));
  CHECK(c.max_same_clients == 0);
  CHECK(c.max_clients == 50);
  CHECK(c.idle_timeout == 3600);
  CHECK(c.openvpn_client_config_dir == "/srv/ovpn/ccd");
  CHECK(c.ca_cert == "/srv/ovpn/ca.crt");  // named before the cd, opened after it
  CHECK(c.connect_script == "/usr/local/bin/cc.sh");
  CHECK(c.cert_user_oid == "0.9.2342.19200300.100.1.1");
  CHECK(c.crl == "/srv/ovpn/crl.pem");
  CHECK(has_line(r, "openvpn-reneg-sec = 600"));
  CHECK(has_line(r, "mtu = 1400"));
  CHECK(has_line(r, "openvpn-auth-token-lifetime = 7200"));
  CHECK(has_line(r, "openvpn-ccd-exclusive = true"));
  auto st = loaded(import(std::string(kBase) + "status /var/log/openvpn/status.log 10\nstatus-version 2\n"));
  CHECK(st.openvpn_status_file == "/var/log/openvpn/status.log");
  CHECK(st.openvpn_status_interval == 10);
  CHECK(st.openvpn_status_version == 2);

  auto v2 = loaded(import(std::string(kBase) + "tls-crypt-v2 /etc/openvpn/v2.key\n"));
  CHECK(v2.openvpn_tls_crypt_v2 == "/etc/openvpn/v2.key");
}

TEST_CASE("import: logins are never weakened", "[ovpn-import]") {
  const std::string pam = "plugin /usr/lib/openvpn/openvpn-plugin-auth-pam.so openvpn\n";
  // Certificate and PAM: both, as openvpn asked for both.
  auto both = loaded(import(std::string(kBase) + pam));
  REQUIRE(both.auth_chains.size() == 1);
  CHECK(both.auth_chains[0].certificate);
  REQUIRE(both.auth_chains[0].password);
  CHECK(both.auth_chains[0].password->params.at("service") == "openvpn");
  // The plugin's arguments as one quoted word: the service is its first.
  auto quoted = loaded(
      import(std::string(kBase) +
             "plugin openvpn-plugin-auth-pam.so \"vpn-otp login USERNAME password PASSWORD pin OTP\"\n"));
  CHECK(quoted.auth_chains[0].password->params.at("service") == "vpn-otp");
  // PAM alone.
  auto alone = loaded(import(std::string(kBase) + pam + "verify-client-cert none\n"));
  CHECK_FALSE(alone.auth_chains[0].certificate);
  CHECK(alone.auth_chains[0].password);
  // A script or plugin sslvpnd cannot run: a password file to fill in, with the certificate kept.
  for (const char* line : {"auth-user-pass-verify /etc/openvpn/check.sh via-file\n",
                           "plugin /usr/lib/openvpn/openvpn-auth-ldap.so ldap.conf\n"}) {
    auto r = import(std::string(kBase) + line);
    auto c = loaded(r);
    CHECK(c.auth_chains[0].certificate);
    REQUIRE(c.auth_chains[0].password);
    CHECK(has_line(r, "auth = \"plain[passwd=/etc/sslvpnd/passwd]\""));
    CHECK(warned(r, "users give a password from /etc/sslvpnd/passwd"));
  }
  // Nothing checked at all (no certificate, no password): a password is asked for.
  auto open = import(std::string(kBase) + "verify-client-cert none\n");
  CHECK(loaded(open).auth_chains[0].password);
  CHECK(warned(open, "nothing checked who logs in"));
  // optional: the password is checked; the lost certificate check is named.
  auto opt = import(std::string(kBase) + pam + "verify-client-cert optional\n");
  CHECK_FALSE(loaded(opt).auth_chains[0].certificate);
  CHECK(warned(opt, "a certificate a client shows is no longer checked"));
  // A certificate check script is named, not dropped silently.
  CHECK(warned(import(std::string(kBase) + "tls-verify /bin/check\n"),
               "tls-verify /bin/check: a certificate check"));
}

TEST_CASE("import: inline files and refusals", "[ovpn-import]") {
  std::string in =
      "server 10.8.0.0 255.255.255.0\n<ca>\nCA PEM\n</ca>\ncert s.crt\n<key>\nKEY PEM\n</key>\n"
      "<tls-crypt>\nSTATIC\n</tls-crypt>\n";
  auto r = import(in);
  REQUIRE(r.files.size() == 3);
  CHECK(r.files[0].path == "/etc/sslvpnd/sslvpnd-ca.pem");
  CHECK(r.files[0].text == "CA PEM\n");
  CHECK(r.files[1].path == "/etc/sslvpnd/sslvpnd-key.pem");
  Config c = loaded(r);
  CHECK(c.server_key == "/etc/sslvpnd/sslvpnd-key.pem");
  CHECK(c.openvpn_tls_crypt == "/etc/sslvpnd/sslvpnd-tls-crypt.key");

  ImportArgs to_stdout = kArgs;
  to_stdout.out.clear();
  CHECK(refusal(in, to_stdout).find("need an output file (-o FILE)") != std::string::npos);
  CHECK(refusal(std::string(kBase) + "dev tap0\n").find("TAP") != std::string::npos);
  CHECK(refusal("dev tun\nserver-bridge 10.8.0.4 255.255.255.0 10.8.0.50 10.8.0.100\n").find("TAP") !=
        std::string::npos);
  CHECK(refusal("server 10.8.0.0 255.255.255.0\npkcs12 s.p12\n").find("PKCS#12") != std::string::npos);
  CHECK(refusal("ca a\ncert b\nkey c\n").find("no address pool") != std::string::npos);
  CHECK(refusal("server 10.8.0.0 255.255.255.0\nca a\ncert b\n") == "no 'key' (the server needs it)");
  CHECK(refusal(std::string(kBase) + "port 0\n") == "line 11: port 0: not a port number");
  // mode server with ifconfig, openvpn's long form of "server".
  auto manual =
      loaded(import("mode server\ntls-server\nifconfig 10.5.0.1 255.255.255.0\nca a\ncert b\nkey c\n"));
  CHECK(manual.ipv4_network->to_string() == "10.5.0.0/24");
}

TEST_CASE("import: what would let clients in with less checking stops the import", "[ovpn-import]") {
  for (const char* line : {"tls-verify /bin/check\n", "crl-verify /etc/openvpn/crls dir\n",
                           "verify-x509-name client- name-prefix\n", "remote-cert-ku 80\n",
                           "client-connect \"/bin/cc.sh --strict\"\n", "tls-crypt-v2-verify /bin/v\n"}) {
    auto r = import(std::string(kBase) + line);
    INFO(line);
    CHECK(r.weakened.size() == 1);
  }
  auto ok = import(std::string(kBase) +
                   "remote-cert-eku \"TLS Web Client Authentication\"\nremote-cert-tls client\n");
  CHECK(ok.weakened.empty());
  CHECK(ok.warnings.empty());
  CHECK(loaded(ok).cert_require_client_purpose);  // a certificate without the TLS client EKU: refused
  CHECK_FALSE(loaded(import(std::string(kBase))).cert_require_client_purpose);
  CHECK(import(std::string(kBase) + "remote-cert-tls server\n").weakened.size() == 1);
  for (const char* line : {"verify-hash AB:CD\n", "tls-crypt-v2-max-age 30\n"}) {
    INFO(line);
    CHECK(import(std::string(kBase) + line).weakened.size() == 1);
  }
  CHECK(
      refusal(std::string(kBase) + "<peer-fingerprint>\nAB:CD\n</peer-fingerprint>\n").find("fingerprint") !=
      std::string::npos);
  // A plugin's arguments (a Duo key) are never repeated in the output or the warnings.
  auto duo = import(std::string(kBase) + "plugin /opt/duo/duo_openvpn.so \"IKEY SECRETSKEY HOST\"\n");
  CHECK(duo.config.find("SECRETSKEY") == std::string::npos);
  for (const auto& w : duo.warnings) CHECK(w.find("SECRETSKEY") == std::string::npos);
  // Plugins that check logins (OTP, Duo...) are never dropped: a password is asked for.
  for (const char* line :
       {"plugin /usr/lib/openvpn/openvpn-otp.so \"otp_secrets=/etc/otp\"\n",
        "plugin /opt/duo/duo_openvpn.so \"IKEY SKEY HOST\"\n", "management-client-auth\n"}) {
    auto c = loaded(import(std::string(kBase) + line));
    INFO(line);
    REQUIRE(c.auth_chains[0].password);
    CHECK(c.auth_chains[0].password->params.at("passwd") == "/etc/sslvpnd/passwd");
  }
  CHECK(refusal(std::string(kBase) + "plugin /usr/lib/openvpn/openvpn-plugin-auth-pam.so\n")
            .find("names no PAM service") != std::string::npos);
}

TEST_CASE("import: paths, includes, values and pushes as openvpn reads them", "[ovpn-import]") {
  // chroot: the CRL, client-config-dir and scripts inside it; the keys outside.
  auto ch = loaded(import(std::string(kBase) + "chroot jail\ncrl-verify crl.pem\nclient-config-dir /ccd\n"));
  CHECK(ch.crl == "/etc/openvpn/server/jail/crl.pem");
  CHECK(ch.openvpn_client_config_dir == "/etc/openvpn/server/jail/ccd");
  CHECK(ch.ca_cert == "/etc/openvpn/server/ca.crt");
  // config FILE: read where it stands; a missing one, or no reader, stops the import.
  ImportArgs inc = kArgs;
  inc.read_include = [](const std::string& p) -> std::optional<std::string> {
    if (p == "/etc/openvpn/server/auth.conf") return std::string("plugin openvpn-plugin-auth-pam.so vpn\n");
    return std::nullopt;
  };
  CHECK(loaded(import(std::string(kBase) + "config auth.conf\n", inc)).auth_chains[0].password);
  CHECK(refusal(std::string(kBase) + "config other.conf\n", inc).find("cannot read the included") !=
        std::string::npos);
  CHECK(refusal(std::string(kBase) + "config auth.conf\n").find("cannot read") != std::string::npos);
  // Values: " #" is quoted (else it would read as a comment); a '"' cannot be written.
  auto hash = loaded(import(std::string(kBase) + "client-config-dir \"/etc/openvpn/vpn #2/ccd\"\n"));
  CHECK(hash.openvpn_client_config_dir == "/etc/openvpn/vpn #2/ccd");
  CHECK(refusal(std::string(kBase) + "crl-verify 'a\"b'\n").find("cannot hold") != std::string::npos);
  // Exclusions alone still leave clients routed to the VPN only, not everything.
  auto ex = loaded(import(std::string(kBase) + "push \"route 10.1.0.0 255.255.0.0 net_gateway\"\n"));
  CHECK_FALSE(ex.route_default);
  REQUIRE(ex.routes.size() == 1);
  CHECK(ex.routes[0].to_string() == "10.8.0.0/24");
  CHECK(ex.no_routes.size() == 1);
  // More pushes than a connect-script may give: every one is kept.
  std::string many = kBase;
  for (int i = 0; i < 300; ++i)
    many += "push \"route 10." + std::to_string(i / 250 + 100) + "." + std::to_string(i % 250) +
            ".0 255.255.255.0\"\n";
  CHECK(loaded(import(many + "push \"redirect-gateway def1 block-local\"\n")).route_default);
  CHECK(
      warned(import(many + "push \"redirect-gateway def1 block-local\"\n"), "'block-local' is not applied"));
  // --push, as openvpn allows option names with "--".
  CHECK(
      loaded(import(std::string(kBase) + "--push \"route 10.5.0.0 255.255.0.0\"\n")).routes[0].to_string() ==
      "10.5.0.0/16");
  // tls-crypt-v2: openvpn's default serves 2.5 clients over UDP; force-cookie does not.
  CHECK(has_line(import(std::string(kBase) + "tls-crypt-v2 v2.key\n"),
                 "openvpn-tls-crypt-v2-force-cookie = false"));
  CHECK_FALSE(has_line(import(std::string(kBase) + "tls-crypt-v2 v2.key force-cookie\n"),
                       "openvpn-tls-crypt-v2-force-cookie = false"));
  // tls-auth with SHA384 (angristan's choice); an unknown digest stops the import.
  CHECK(loaded(import(std::string(kBase) + "tls-auth ta.key 0\nauth SHA384\n")).openvpn_auth == "SHA384");
  CHECK(refusal(std::string(kBase) + "tls-auth ta.key 0\nauth MD5\n").find("HMAC") != std::string::npos);
  CHECK(refusal(std::string(kBase) + "capath /var/etc/ca\n").find("capath") != std::string::npos);
  CHECK(warned(import(std::string(kBase) + "ifconfig-pool 10.8.0.100 10.8.0.200\n"), "may be leased"));
  CHECK(loaded(import("\xef\xbb\xbf" + std::string(kBase))).openvpn_udp_port == 1194);  // a byte order mark
  // mode server's ifconfig: sslvpnd's address is the network's first; another is named.
  CHECK(warned(import("mode server\nifconfig 10.5.0.254 255.255.255.0\nca a\ncert b\nkey c\n"),
               "not 10.5.0.254"));
  // 2.6 dns: a name that is no domain, and a port other than 53, are named.
  auto dns = import(std::string(kBase) +
                    "push \"dns search-domains good.example 'b #d'\"\n"
                    "push \"dns server 0 address 10.0.0.1:5353\"\n");
  CHECK(loaded(dns).default_domain == "good.example");
  CHECK(warned(dns, "is not a domain name"));
  CHECK(warned(dns, "clients are sent the address alone"));
  // management: the same interface; on a network address without a password, a warning.
  auto m = import(std::string(kBase) + "management 127.0.0.1 7505 pw.txt\n");
  CHECK(loaded(m).openvpn_management == "127.0.0.1 7505");
  CHECK(loaded(m).openvpn_management_password_file == "/etc/openvpn/server/pw.txt");
  // On a network address without a password: left out (sslvpnd refuses it), and said how to add it.
  auto open_mgmt = import(std::string(kBase) + "management 0.0.0.0 7505\n");
  CHECK(warned(open_mgmt, "add 'openvpn-management = 0.0.0.0 7505 PASSWORD-FILE'"));
  CHECK(loaded(open_mgmt).openvpn_management.empty());
  CHECK(loaded(import(std::string(kBase) + "management /run/ovpn.sock unix\n")).openvpn_management ==
        "/run/ovpn.sock unix");
}

namespace {

std::string merge_error(const std::string& a, const std::string& b) {
  std::string error;
  auto r = merge_imports(import(a), "udp.conf", import(b), "tcp.conf", &error);
  REQUIRE_FALSE(r.ok());
  return error;
}

}  // namespace

TEST_CASE("import: a UDP and a TCP openvpn server of one VPN, as one configuration", "[ovpn-import]") {
  const std::string udp = std::string(kBase) +
                          "tls-crypt ta.key\npush \"dhcp-option DNS 10.8.0.1\"\nstatus /run/udp.log\n"
                          "management 127.0.0.1 7505\nmax-clients 100\nexplicit-exit-notify 1\n";
  const std::string tcp =
      "port 443\nproto tcp\ndev tun\nca ca.crt\ncert server.crt\nkey server.key\ntopology subnet\n"
      "server 10.9.0.0 255.255.255.0\nkeepalive 10 120\ntls-crypt ta.key\n"
      "push \"dhcp-option DNS 10.9.0.1\"\nstatus /run/tcp.log\nmanagement 127.0.0.1 7506\nmax-clients 50\n";
  std::string error;
  auto r = merge_imports(import(udp), "udp.conf", import(tcp), "tcp.conf", &error);
  INFO(error);
  REQUIRE(r.ok());
  Config c = loaded(*r);
  CHECK(c.openvpn_udp_port == 1194);
  CHECK(c.openvpn_tcp_port == 443);
  CHECK(c.ipv4_network->to_string() == "10.8.0.0/24");  // the first's pool serves both
  CHECK(c.max_clients == 150);                          // openvpn's limit was per instance
  CHECK(c.openvpn_status_file == "/run/udp.log");
  // The TCP server's own address as DNS server: the server's address in the pool both now share.
  REQUIRE(c.dns.size() == 1);
  CHECK(c.dns[0].to_string() == "10.8.0.1");
  CHECK(r->config.starts_with(
      "# sslvpnd configuration made by `sslvpnd-ovpn-key import` from the openvpn server configurations\n"
      "# udp.conf and tcp.conf."));
  CHECK(has_line(*r, "# tcp.conf, line 1: port 443"));
  CHECK(warned(*r, "tcp.conf: ipv4-network 10.9.0.0/24: its clients lease addresses from udp.conf's pool"));
  CHECK(warned(*r, "tcp.conf: openvpn-status /run/tcp.log 60: udp.conf's is kept"));
  CHECK(warned(*r, "tcp.conf: openvpn-management 127.0.0.1 7506: udp.conf's is kept"));
  CHECK(c.max_same_clients == 1);  // neither has duplicate-cn
  CHECK(c.replace_same_clients);

  // The sum stays within what sslvpnd takes (openvpn's 1024 for a file without max-clients).
  std::string big = udp;
  big.replace(big.find("max-clients 100"), 15, "max-clients 16777216");
  std::string no_limit = tcp;
  no_limit.erase(no_limit.find("max-clients 50\n"), 15);
  auto capped = merge_imports(import(big), "udp.conf", import(no_limit), "tcp.conf", &error);
  REQUIRE(capped.ok());
  CHECK(loaded(*capped).max_clients == (1u << 24));

  // The status file's format goes with the file kept: the second's status-version does not
  // refuse the merge when its status file is dropped, and comes along when its file is the one.
  auto versions =
      merge_imports(import(udp), "udp.conf", import(tcp + "status-version 2\n"), "tcp.conf", &error);
  INFO(error);
  REQUIRE(versions.ok());
  CHECK(loaded(*versions).openvpn_status_version == 1);
  std::string udp_no_status = udp;
  udp_no_status.erase(udp_no_status.find("status /run/udp.log\n"), 20);
  auto theirs = merge_imports(import(udp_no_status), "udp.conf", import(tcp + "status-version 2\n"),
                              "tcp.conf", &error);
  REQUIRE(theirs.ok());
  CHECK(loaded(*theirs).openvpn_status_file == "/run/tcp.log");
  CHECK(loaded(*theirs).openvpn_status_version == 2);

  // Anything else that differs has no single value that serves both: nothing is merged.
  CHECK(merge_error(udp, std::string(kBase) + "port 1195\n").find("both serve OpenVPN over UDP") !=
        std::string::npos);
  std::string other_key = tcp;
  other_key.replace(other_key.find("ta.key"), 6, "other.key");
  CHECK(merge_error(udp, other_key).find("the two servers differ in openvpn-tls-crypt") != std::string::npos);
  CHECK(merge_error(udp, tcp + "verify-client-cert none\nplugin /usr/lib/openvpn/openvpn-plugin-auth-pam.so "
                               "login\n")
            .find("differ in auth") != std::string::npos);
  CHECK(merge_error(udp, tcp + "server-ipv6 fd00:9::/64\n").find("only one of the two servers has an IPv6") !=
        std::string::npos);
  // Inline files: one written when they are the same, refused when each would write its own.
  const std::string inline_udp = udp + "<tls-auth>\nKEY A\n</tls-auth>\n";
  auto same = merge_imports(import(inline_udp), "udp.conf", import(tcp + "<tls-auth>\nKEY A\n</tls-auth>\n"),
                            "tcp.conf", &error);
  REQUIRE(same.ok());
  CHECK(same->files.size() == 1);
  CHECK(merge_error(inline_udp, tcp + "<tls-auth>\nKEY B\n</tls-auth>\n").find("different contents") !=
        std::string::npos);
}
