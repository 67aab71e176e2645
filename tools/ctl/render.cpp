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

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
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
      std::string cell = r[i];
      for (auto& c : cell)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      line += std::string(w[i] - cell.size(), ' ') + cell + (i + 1 < r.size() ? "  " : "");
    }
    out += line + "\n";
  }
  return out;
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

std::string status_text(const ctl::ServerStatus& s, long now) {
  std::string o;
  o += "Status: online\n";
  o += "Server PID: " + std::to_string(s.server_pid()) + "\n";
  o += "Sec-mod PID: " + std::to_string(s.secmod_pid()) + "\n";
  o += "Up since: " + human_time(s.up_since()) + " (" + human_duration(now - s.up_since()) + ")\n";
  o += "Active sessions: " + std::to_string(s.active_tunnels()) + "\n";
  o += "Sessions (with or without a tunnel): " + std::to_string(s.sessions()) + "\n";
  o += "Last stats reset: " + human_time(s.stats_reset_at()) + " (" +
       human_duration(now - s.stats_reset_at()) + ")\n";
  o += "Total sessions: " + std::to_string(s.total_tunnels()) + "\n";
  o += "Connections (logging in or tunnelling): " + std::to_string(s.connections()) + "\n";
  o += "Total authentication failures: " + std::to_string(s.auth_failures()) + "\n";
  o += "Leases in use: " + std::to_string(s.leases_in_use()) + "\n";
  o += "IPs in ban list: " + std::to_string(s.banned_ips()) + "\n";
  o += "Logins in progress: " + std::to_string(s.logins_in_progress()) + " of " +
       std::to_string(s.max_logins_in_progress()) + "\n";
  o += "Connections waiting to log in: " + std::to_string(s.logins_waiting()) + "\n";
  o += "Connections closed unserved (waited too long): " + std::to_string(s.closed_waiting()) + "\n";
  o += "RX: " + human_bytes(s.rx_bytes()) + "\n";
  o += "TX: " + human_bytes(s.tx_bytes()) + "\n";
  return o;
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
      .field("Sessions", s.sessions())
      .field("Connections", s.connections())
      .field("Total authentication failures", s.auth_failures())
      .field("Leases in use", s.leases_in_use())
      .field("IPs in ban list", s.banned_ips())
      .field("Logins in progress", s.logins_in_progress())
      .field("Max logins in progress", s.max_logins_in_progress())
      .field("Connections waiting to log in", s.logins_waiting())
      .field("Connections closed unserved", s.closed_waiting())
      .field("RX", s.rx_bytes())
      .field("TX", s.tx_bytes())
      .field("_RX", human_bytes(s.rx_bytes()))
      .field("_TX", human_bytes(s.tx_bytes()))
      .end_object();
  return j.str() + "\n";
}

std::string users_table(const ctl::CtlReply& r, long now) {
  std::vector<std::vector<std::string>> rows = {
      {"id", "user", "vhost", "ip", "vpn-ip", "device", "since", "dtls-cipher", "status"}};
  for (const auto& u : r.users())
    rows.push_back({std::to_string(u.id()), u.username(), "default", u.remote_ip(),
                    or_dash(u.ipv4().empty() ? u.ipv6() : u.ipv4()), u.device(),
                    human_duration(now - u.connected_at()), or_dash(u.dtls_cipher()), u.state()});
  return table(rows);
}

// occtl's layout (src/occtl/unix.c, common_info_cmd; print.c): one "\tName: value" line per
// field, pairs as "\tName: value   Name2: value2", lists as "\tName: first" then "\t\tnext",
// empty values left out. Scripts grep these lines ("Username: alice"), so they match occtl's.
std::string user_details(const ctl::UserRow& u, long now) {
  std::string out;
  auto single = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) out += "\t" + name + ": " + value + "\n";
  };
  auto pair = [&](const std::string& n1, const std::string& v1, const std::string& n2,
                  const std::string& v2) {
    if (!v1.empty()) out += "\t" + n1 + ": " + v1;
    if (!v2.empty()) out += (v1.empty() ? "\t" : "   ") + n2 + ": " + v2;
    if (!v1.empty() || !v2.empty()) out += "\n";
  };
  auto list = [&](const std::string& name, const auto& items) {
    for (int i = 0; i < items.size(); ++i)
      out += (i == 0 ? "\t" + name + ": " : std::string("\t\t")) + items[i] + "\n";
    return items.size();
  };
  single("ID", std::to_string(u.id()));
  pair("Username", u.username().empty() ? "(none)" : u.username(), "Groupname",
       u.groupname().empty() ? "(none)" : u.groupname());
  single("State", u.state());
  single("vhost", "default");
  pair("Device", u.device(), "MTU", u.mtu() ? std::to_string(u.mtu()) : "");
  pair("Remote IP", u.remote_ip(), "Location", "unknown");
  pair("IPv4", u.ipv4(), "P-t-P IPv4", u.ptp_ipv4());
  pair("IPv6", u.ipv6(), "P-t-P IPv6", u.ptp_ipv6());
  single("User-Agent", u.user_agent());
  out += "\tRX: " + std::to_string(u.rx()) + " (" + human_bytes(u.rx()) +
         ")   TX: " + std::to_string(u.tx()) + " (" + human_bytes(u.tx()) + ")\n";
  pair("DPD", std::to_string(u.dpd()), "KeepAlive", std::to_string(u.keepalive()));
  single("Hostname", u.hostname());
  single("Connected at", human_time(u.connected_at()) + " (" + human_duration(now - u.connected_at()) + ")");
  single("Session", u.session());
  single("TLS ciphersuite", u.tls_cipher());
  single("DTLS cipher", u.dtls_cipher());
  pair("CSTP compression", u.cstp_compression(), "DTLS compression", u.dtls_compression());
  list("DNS", u.dns());
  list("Split-DNS-Domains", u.split_dns());
  if (list("Routes", u.routes()) == 0) single("Routes", "defaultroute");
  list("No-routes", u.no_routes());
  list("iRoutes", u.iroutes());
  // sslvpnd's own, after occtl's fields
  single("Protocol", u.protocol());
  single("Datagram channel", u.datagram());
  // GlobalProtect: the host information profile the client sent (hipreport.esp), as sent.
  if (!u.hip_report().empty())
    out += "\tHIP report:\n" + u.hip_report() + (u.hip_report().back() == '\n' ? "" : "\n");
  return out;
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
        .field("vhost", "default")
        .field("Device", u.device())
        .field("MTU", u.mtu())
        .field("Remote IP", u.remote_ip())
        .field("Remote port", u.remote_port())
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
        .field("PID", u.pid())
        .end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

std::string sessions_table(const ctl::CtlReply& r, long now) {
  std::vector<std::vector<std::string>> rows = {
      {"session", "user", "group", "vpn-ip", "created", "status", "id", "protocol"}};
  for (const auto& s : r.sessions())
    rows.push_back({s.session(), s.username(), or_dash(s.groupname()),
                    or_dash(s.ipv4().empty() ? s.ipv6() : s.ipv4()), human_duration(now - s.created()),
                    s.state(), s.tunnel_id() ? std::to_string(s.tunnel_id()) : "-", or_dash(s.protocol())});
  return table(rows);
}

std::string sessions_json(const ctl::CtlReply& r, long now) {
  JsonWriter j;
  j.begin_array();
  for (const auto& s : r.sessions())
    j.begin_object()
        .field("Session", s.session())
        .field("Full session", s.session())
        .field("Username", s.username())
        .field("Groupname", s.groupname())
        .field("vhost", "default")
        .field("IPv4", s.ipv4())
        .field("IPv6", s.ipv6())
        .field("Created", human_time(s.created()))
        .field("_Created", human_duration(now - s.created()))
        .field("raw_created", static_cast<int64_t>(s.created()))
        .field("State", s.state())
        .field("In use", s.state() == "connected")
        .field("ID", s.tunnel_id())
        .field("Protocol", s.protocol())
        .end_object();
  j.end_array();
  return j.str() + "\n";
}

std::string bans_table(const ctl::CtlReply& r, long now) {
  std::vector<std::vector<std::string>> rows = {{"IP", "score", "banned for"}};
  for (const auto& b : r.bans())
    rows.push_back({b.ip(), std::to_string(b.score()),
                    b.banned_until() ? human_duration(b.banned_until() - now) : std::string("-")});
  return table(rows);
}

std::string bans_json(const ctl::CtlReply& r, long now) {
  JsonWriter j;
  j.begin_array();
  for (const auto& b : r.bans()) {
    j.begin_object().field("IP", b.ip()).field("Score", b.score()).field("Banned", b.banned_until() != 0);
    if (b.banned_until()) {
      j.field("Until", human_time(b.banned_until()))
          .field("_Until", human_duration(b.banned_until() - now))
          .field("raw_until", static_cast<int64_t>(b.banned_until()));
    }
    j.end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

std::string iroutes_table(const ctl::CtlReply& r) {
  std::vector<std::vector<std::string>> rows = {{"id", "user", "vhost", "device", "vpn-ip", "iroutes"}};
  for (const auto& u : r.users()) {
    std::string routes;
    for (const auto& x : u.iroutes()) routes += (routes.empty() ? "" : " ") + x;
    rows.push_back({std::to_string(u.id()), u.username(), "default", u.device(),
                    or_dash(u.ipv4().empty() ? u.ipv6() : u.ipv4()), or_dash(routes)});
  }
  return table(rows);
}

std::string iroutes_json(const ctl::CtlReply& r) {
  JsonWriter j;
  j.begin_array();
  for (const auto& u : r.users()) {
    std::vector<std::string> routes(u.iroutes().begin(), u.iroutes().end());
    j.begin_object()
        .field("ID", u.id())
        .field("Username", u.username())
        .field("vhost", "default")
        .field("Device", u.device())
        .field("IP", u.ipv4().empty() ? u.ipv6() : u.ipv4())
        .field("iroutes", routes)
        .end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

std::string event_line(const ctl::Event& e) {
  const auto& u = e.user();
  std::string line = human_time(e.time()) + " " + e.kind() + " " + u.username();
  if (!u.groupname().empty()) line += " (" + u.groupname() + ")";
  line += " from " + u.remote_ip() + " as " + or_dash(u.ipv4().empty() ? u.ipv6() : u.ipv4()) + " on " +
          u.device() + ", id " + std::to_string(u.id());
  if (e.kind() == "disconnect")
    line += ": " + e.reason() + ", rx " + human_bytes(u.rx()) + ", tx " + human_bytes(u.tx());
  return line + "\n";
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
