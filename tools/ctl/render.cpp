#include "tools/ctl/render.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "common/json_writer.hpp"

namespace sslvpn::ctltool {
namespace {

std::vector<std::string> list(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return std::vector<std::string>(r.begin(), r.end());
}

std::string sanitize(std::string s) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return s;
}

// occtl's get_ip: the client's tunnel address, IPv4 first.
std::string vpn_ip(const ctl::UserRow& u) {
  return u.ipv4().empty() ? u.ipv6() : u.ipv4();
}

// occtl's fix_ciphersuite for the show users table: "(DTLS1.2)-(RSA)-(AES-256-GCM)" becomes
// "(AES-256-GCM)"; anything else, or no DTLS, is "(no-dtls)".
std::string table_dtls_cipher(const std::string& d) {
  if (d.size() > 16 && d.compare(0, 5, "(DTLS") == 0 &&
      (d.compare(8, 8, ")-(RSA)-") == 0 || d.compare(8, 8, ")-(PSK)-") == 0))
    return d.substr(16);
  return "(no-dtls)";
}

// "2026-11-22 13:00 ( 3m:02s)": occtl's print_single_value_ex with a date and an age.
std::string date_and_age(long t, long now) {
  return human_time(t) + " (" + ival7(now - t) + ")";
}

// ocserv's discon_reason_to_str for sslvpnd's reasons (proto/ipc.proto SessionEnd.Reason).
std::string reason_text(const std::string& r) {
  if (r == "USER_DISCONNECT") return "user disconnected";
  if (r == "CLIENT_GONE") return "anyconnect client disconnected";
  if (r == "SERVER_DISCONNECT") return "server disconnected";
  if (r == "IDLE_TIMEOUT") return "idle timeout";
  if (r == "DPD_TIMEOUT") return "DPD timeout";
  if (r == "ERROR") return "unspecified error";
  if (r == "SESSION_TIMEOUT") return "session timeout";
  return "unknown";
}

// occtl's print_iface_stats: the byte counts, and their average rate since the tunnel came up.
void traffic_lines(Block& b, const ctl::UserRow& u, long now) {
  b.line("\tRX: " + std::to_string(u.rx()) + " (" + bytes2human(u.rx()) +
         ")   TX: " + std::to_string(u.tx()) + " (" + bytes2human(u.tx()) + ")");
  long secs = now - u.connected_at();
  auto speed = [secs](uint64_t bytes) {
    return bytes2human(secs > 0 ? bytes / static_cast<uint64_t>(secs) : 0, "/sec");
  };
  b.line("\tAverage bandwidth RX: " + speed(u.rx()) + "  TX: " + speed(u.tx()));
}

// After occtl's separator: DNS, split DNS, routes ("defaultroute" without any), iroutes.
// rx-data-per-sec / tx-data-per-sec, as occtl prints them.
void limit_lines(Block& b, const ctl::UserRow& u) {
  if (u.limit_rx() > 0 && u.limit_tx() > 0)
    b.pair("Limit RX", bytes2human(u.limit_rx(), "/sec"), "TX", bytes2human(u.limit_tx(), "/sec"));
  else if (u.limit_tx() > 0)
    b.single("Limit TX", bytes2human(u.limit_tx(), "/sec"));
  else if (u.limit_rx() > 0)
    b.single("Limit RX", bytes2human(u.limit_rx(), "/sec"));
}

void network_lines(Block& b, const ctl::UserRow& u) {
  b.list("DNS", u.dns());
  b.list("NBNS", u.nbns());
  b.list("Split-DNS-Domains", u.split_dns());
  if (b.list("Routes", u.routes()) == 0) b.single("Routes", "defaultroute");
  b.list("No-routes", u.no_routes());
  b.list("iRoutes", u.iroutes());
  b.single("Restricted to routes", u.restrict_to_routes() ? "True" : "False");
  // occtl prints the line even without ports: then it is empty.
  b.line(u.restrict_to_ports().empty() ? "" : "\tRestricted to ports: " + u.restrict_to_ports());
}

// sslvpnd's own, after occtl's fields.
void extra_lines(Block& b, const ctl::UserRow& u) {
  b.single("Protocol", u.protocol());
  b.single("Datagram channel", u.datagram());
  // GlobalProtect: the host information profile the client sent (hipreport.esp), as sent.
  if (!u.hip_report().empty()) {
    b.line("\tHIP report:");
    const std::string& h = u.hip_report();
    b.line(h.back() == '\n' ? h.substr(0, h.size() - 1) : h);
  }
}

void status_general(Block& b, const ctl::ServerStatus& s, long now) {
  b.line("General info:");
  b.single("Status", "online");
  b.single("Server PID", std::to_string(s.server_pid()));
  b.single("Sec-mod PID", std::to_string(s.secmod_pid()));
  b.single("Sec-mod instance count", "1");  // sslvpnd runs one sec-mod
  b.single("Up since", date_and_age(s.up_since(), now));
  b.single("Active sessions", std::to_string(s.active_tunnels()));
  b.single("IPs in ban list", std::to_string(s.banned_ips()));
}

// The totals since server-stats-reset-time last started them from zero.
void status_period(Block& b, const ctl::ServerStatus& s, long now) {
  b.line("Current stats period:");
  if (s.stats_reset_at() > 0) b.single("Last stats reset", date_and_age(s.stats_reset_at(), now));
  b.single("Sessions handled", std::to_string(s.total_tunnels()));
  b.single("Authentication failures", std::to_string(s.auth_failures()));
  b.single("RX", bytes2human(s.rx_bytes()));
  b.single("TX", bytes2human(s.tx_bytes()));
}

// sslvpnd's own, after occtl's sections: sessions, connections, leases, login admission.
void status_extras(Block& b, const ctl::ServerStatus& s) {
  b.line("Sessions and logins:");
  b.single("Sessions (with or without a tunnel)", std::to_string(s.sessions()));
  b.single("Connections (logging in or tunnelling)", std::to_string(s.connections()));
  b.single("Leases in use", std::to_string(s.leases_in_use()));
  b.single("Logins in progress",
           std::to_string(s.logins_in_progress()) + " of " + std::to_string(s.max_logins_in_progress()));
  b.single("Connections waiting to log in", std::to_string(s.logins_waiting()));
  b.single("Connections closed unserved (waited too long)", std::to_string(s.closed_waiting()));
}

}  // namespace

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string cell = sanitize(r[i]);
      line += std::string(w[i] - cell.size(), ' ') + cell + (i + 1 < r.size() ? "  " : "");
    }
    out += line + "\n";
  }
  return out;
}

std::string columns(std::initializer_list<std::pair<std::string, size_t>> cells) {
  std::string line;
  for (const auto& [text, width] : cells) {
    if (!line.empty()) line += ' ';
    if (text.size() < width) line += std::string(width - text.size(), ' ');
    line += sanitize(text);
  }
  return line;
}

void Block::single(const std::string& name, const std::string& value) {
  if (!value.empty()) out_ += "\t" + name + ": " + value + "\n";
}

void Block::pair(const std::string& n1, const std::string& v1, const std::string& n2, const std::string& v2) {
  if (!v1.empty()) out_ += "\t" + n1 + ": " + v1;
  if (!v2.empty()) out_ += "   " + n2 + ": " + v2;  // occtl: three spaces, even without the first
  if (!v1.empty() || !v2.empty()) out_ += "\n";
}

std::string bytes2human(uint64_t b, const char* suffix) {
  char buf[64];
  if (b > 1000 && b < 1000 * 1000)
    std::snprintf(buf, sizeof buf, "%.1f KB%s", static_cast<double>(b) / 1000, suffix);
  else if (b >= 1000 * 1000 && b < 1000 * 1000 * 1000)
    std::snprintf(buf, sizeof buf, "%.1f MB%s", static_cast<double>(b) / (1000 * 1000), suffix);
  else if (b >= 1000 * 1000 * 1000)
    std::snprintf(buf, sizeof buf, "%.1f GB%s", static_cast<double>(b) / (1000 * 1000 * 1000), suffix);
  else
    std::snprintf(buf, sizeof buf, "%llu bytes%s", static_cast<unsigned long long>(b), suffix);
  return buf;
}

std::string ival7(long t) {
  char buf[32];
  if (t < 0)
    return "   ?   ";  // the clock went back
  else if (t >= 48 * 60 * 60)
    std::snprintf(buf, sizeof buf, "%2lddays", t / (24 * 60 * 60));
  else if (t >= 60 * 60)
    std::snprintf(buf, sizeof buf, "%2ldh:%02ldm", t / (60 * 60), (t / 60) % 60);
  else if (t > 60)
    std::snprintf(buf, sizeof buf, "%2ldm:%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%5lds", t);
  return buf;
}

std::string short_session(const std::string& sid) {
  return sid.substr(0, 6);
}

std::string or_none(const std::string& s) {
  return s.empty() ? "(none)" : s;
}

std::string vhost_or_default(const std::string& vhost) {
  return vhost.empty() ? "default" : vhost;
}

std::string human_bytes(uint64_t b) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string human_duration(long s) {
  if (s < 0) s = 0;
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm:%02lds", s / 60, s % 60);
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%ldh:%02ldm", s / 3600, (s % 3600) / 60);
  else
    std::snprintf(buf, sizeof buf, "%ldd:%02ldh", s / 86400, (s % 86400) / 3600);
  return buf;
}

std::string human_time(long t) {
  time_t tt = t;
  tm tmv{};
  ::localtime_r(&tt, &tmv);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tmv);
  return buf;
}

// occtl's handle_status_cmd: a note, "General info:" and "Current stats period:" sections.
std::string status_text(const ctl::ServerStatus& s, long now) {
  Block b;
  b.line("Note: the printed statistics are not real-time; RX and TX data of");
  b.line("connected users are updated every 3 seconds while they change");
  b.separator();
  status_general(b, s, now);
  b.separator();
  status_period(b, s, now);
  b.separator();
  status_extras(b, s);
  return b.str();
}

std::string status_json(const ctl::ServerStatus& s, long now) {
  JsonWriter j;
  j.begin_object()
      .field("Status", "online")
      .field("Server PID", s.server_pid())
      .field("Sec-mod PID", s.secmod_pid())
      .field("Up since", human_time(s.up_since()))
      .field("_Up since", human_duration(now - s.up_since()))
      .field("raw_up_since", static_cast<int64_t>(s.up_since()))
      .field("uptime", static_cast<int64_t>(now - s.up_since()))
      .field("Active sessions", s.active_tunnels())
      .field("Last stats reset", human_time(s.stats_reset_at()))
      .field("_Last stats reset", human_duration(now - s.stats_reset_at()))
      .field("raw_last_stats_reset", static_cast<int64_t>(s.stats_reset_at()))
      .field("Total sessions", s.total_tunnels())
      .field("Sessions handled", s.total_tunnels())
      .field("Sessions", s.sessions())
      .field("Connections", s.connections())
      .field("Total authentication failures", s.auth_failures())
      .field("Authentication failures", s.auth_failures())
      .field("Leases in use", s.leases_in_use())
      .field("IPs in ban list", s.banned_ips())
      .field("Logins in progress", s.logins_in_progress())
      .field("Max logins in progress", s.max_logins_in_progress())
      .field("Connections waiting to log in", s.logins_waiting())
      .field("Connections closed unserved", s.closed_waiting())
      .field("RX", s.rx_bytes())
      .field("TX", s.tx_bytes())
      .field("raw_rx", s.rx_bytes())
      .field("raw_tx", s.tx_bytes())
      .field("_RX", human_bytes(s.rx_bytes()))
      .field("_TX", human_bytes(s.tx_bytes()))
      .end_object();
  return j.str() + "\n";
}

// occtl's common_user_list: printf widths "%8s %8s %8s %14s %14s %6s %7s %14s %9s" for the
// header, the age as it is, no header without rows.
std::string users_table(const ctl::CtlReply& r, long now) {
  std::string out;
  for (const auto& u : r.users()) {
    if (out.empty())
      out = columns({{"id", 8},
                     {"user", 8},
                     {"vhost", 8},
                     {"ip", 14},
                     {"vpn-ip", 14},
                     {"device", 6},
                     {"since", 7},
                     {"dtls-cipher", 14},
                     {"status", 9}}) +
            "\n";
    out += columns({{std::to_string(u.id()), 8},
                    {or_none(u.username()), 8},
                    {vhost_or_default(u.vhost()), 8},
                    {u.remote_ip(), 14},
                    {vpn_ip(u), 14},
                    {u.device(), 6},
                    {ival7(now - u.connected_at()), 0},
                    {table_dtls_cipher(u.dtls_cipher()), 14},
                    {u.state(), 9}}) +
           "\n";
  }
  return out;
}

// occtl's common_info_cmd, field by field; it ends with an empty line (occtl's "Restricted to
// ports" without any). Scripts grep these lines ("\tUsername: alice"), so they match occtl's.
std::string user_details(const ctl::UserRow& u, long now) {
  Block b;
  b.single("ID", std::to_string(u.id()));
  b.pair("Username", or_none(u.username()), "Groupname", or_none(u.groupname()));
  b.single("State", u.state());
  b.single("vhost", vhost_or_default(u.vhost()));
  if (u.mtu() != 0)
    b.pair("Device", u.device(), "MTU", std::to_string(u.mtu()));
  else
    b.single("Device", u.device());
  b.pair("Remote IP", u.remote_ip(), "Location", "unknown");
  if (!u.local_ip().empty()) b.single("Local Device IP", u.local_ip());
  if (!u.ipv4().empty() && !u.ptp_ipv4().empty())
    b.pair("IPv4", u.ipv4(), "P-t-P IPv4", u.ptp_ipv4());
  else
    b.single("IPv4", u.ipv4());
  if (!u.ipv6().empty() && !u.ptp_ipv6().empty())
    b.pair("IPv6", u.ipv6(), "P-t-P IPv6", u.ptp_ipv6());
  else
    b.single("IPv6", u.ipv6());
  b.single("User-Agent", u.user_agent());
  limit_lines(b, u);
  traffic_lines(b, u, now);
  b.pair("DPD", std::to_string(u.dpd()), "KeepAlive", std::to_string(u.keepalive()));
  b.single("Hostname", u.hostname());
  b.single("Connected at", date_and_age(u.connected_at(), now));
  b.single("Session", short_session(u.session()));
  b.single("TLS ciphersuite", u.tls_cipher());
  b.single("DTLS cipher", u.dtls_cipher());
  b.pair("CSTP compression", u.cstp_compression(), "DTLS compression", u.dtls_compression());
  b.separator();
  network_lines(b, u);
  extra_lines(b, u);
  b.separator();
  return b.str();
}

std::string users_json(const ctl::CtlReply& r, long now) {
  JsonWriter j;
  j.begin_array();
  for (const auto& u : r.users()) {
    j.begin_object()
        .field("ID", u.id())
        .field("Username", u.username())
        .field("Groupname", u.groupname())
        .field("State", u.state())
        .field("vhost", vhost_or_default(u.vhost()))
        .field("Device", u.device())
        .field("MTU", u.mtu())
        .field("Remote IP", u.remote_ip())
        .field("Remote port", u.remote_port())
        .field("Local Device IP", u.local_ip())
        .field("IPv4", u.ipv4())
        .field("P-t-P IPv4", u.ptp_ipv4())
        .field("IPv6", u.ipv6())
        .field("P-t-P IPv6", u.ptp_ipv6())
        .field("User-Agent", u.user_agent())
        .field("Hostname", u.hostname())
        .field("RX", u.rx())
        .field("TX", u.tx())
        .field("_RX", human_bytes(u.rx()))
        .field("_TX", human_bytes(u.tx()))
        .field("DPD", u.dpd())
        .field("KeepAlive", u.keepalive())
        .field("Connected at", human_time(u.connected_at()))
        .field("_Connected at", human_duration(now - u.connected_at()))
        .field("raw_connected_at", static_cast<int64_t>(u.connected_at()))
        .field("Session", u.session())
        .field("Full session", u.session())
        .field("TLS ciphersuite", u.tls_cipher())
        .field("DTLS cipher", u.dtls_cipher())
        .field("CSTP compression", u.cstp_compression())
        .field("DTLS compression", u.dtls_compression())
        .field("Protocol", u.protocol())
        .field("Datagram channel", u.datagram())
        .field("HIP report", u.hip_report())
        .field("DNS", list(u.dns()))
        .field("Split-DNS-Domains", list(u.split_dns()))
        .field("Routes", list(u.routes()))
        .field("No-routes", list(u.no_routes()))
        .field("iroutes", list(u.iroutes()))
        .field("iRoutes", list(u.iroutes()))
        .field("NBNS", list(u.nbns()))
        .field("Restricted to routes", u.restrict_to_routes() ? "True" : "False")
        .field("Restricted to ports", u.restrict_to_ports())
        .field("Limit RX", u.limit_rx())
        .field("Limit TX", u.limit_tx())
        .field("PID", u.pid())
        .end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

// occtl's handle_list_iroutes_cmd: "%6s %8s %8s %6s %16s %28s", one row per iroute, the header
// as soon as anyone is connected.
std::string iroutes_table(const ctl::CtlReply& r) {
  std::string out;
  if (r.users_size() > 0)
    out =
        columns({{"id", 6}, {"user", 8}, {"vhost", 8}, {"device", 6}, {"vpn-ip", 16}, {"iroute", 28}}) + "\n";
  for (const auto& u : r.users())
    for (const auto& x : u.iroutes())
      out += columns({{std::to_string(u.id()), 6},
                      {or_none(u.username()), 8},
                      {vhost_or_default(u.vhost()), 8},
                      {u.device(), 6},
                      {vpn_ip(u), 16},
                      {x, 28}}) +
             "\n";
  return out;
}

std::string iroutes_json(const ctl::CtlReply& r) {
  JsonWriter j;
  j.begin_array();
  for (const auto& u : r.users()) {
    std::vector<std::string> routes(u.iroutes().begin(), u.iroutes().end());
    j.begin_object()
        .field("ID", u.id())
        .field("Username", u.username())
        .field("vhost", vhost_or_default(u.vhost()))
        .field("Device", u.device())
        .field("IP", vpn_ip(u))
        .field("iroutes", routes)
        .field("iRoutes", routes)
        .end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

// occtl's handle_events_cmd lines; after a disconnect's, sslvpnd's byte counts.
std::string event_line(const ctl::Event& e) {
  const auto& u = e.user();
  std::string who = " user '" + u.username() + "' (" + std::to_string(u.id()) + ") from " + u.remote_ip() +
                    " with IP " + vpn_ip(u);
  if (e.kind() != "disconnect") return sanitize("default: connected" + who) + "\n";
  return sanitize("default: disconnect" + who + " (reason: " + reason_text(e.reason()) +
                  ", time: " + ival7(e.time() - u.connected_at()) + ") (RX: " + bytes2human(u.rx()) +
                  ", TX: " + bytes2human(u.tx()) + ")") +
         "\n";
}

std::string event_json(const ctl::Event& e) {
  const auto& u = e.user();
  JsonWriter j;
  j.begin_object()
      .field("event", e.kind())
      .field("time", static_cast<int64_t>(e.time()))
      .field("ID", u.id())
      .field("Username", u.username())
      .field("Groupname", u.groupname())
      .field("Remote IP", u.remote_ip())
      .field("IPv4", u.ipv4())
      .field("IPv6", u.ipv6())
      .field("Device", u.device())
      .field("RX", u.rx())
      .field("TX", u.tx())
      .field("reason", e.reason())
      .end_object();
  return j.str() + "\n";
}

}  // namespace sslvpn::ctltool
