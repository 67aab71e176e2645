#include "tools/ctl/flows.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/json_writer.hpp"
#include "tools/ctl/render.hpp"

namespace sslvpn::ctltool {
namespace {

bool parse_when(const std::string& s, long now, int64_t* ms) {
  if (s.empty()) return false;
  // An age: 90s, 30m, 2h, 7d.
  char unit = s.back();
  long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  long n = 0;
  if (mult != 0) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, n);
    if (ec == std::errc() && p == s.data() + s.size() - 1 && n >= 0) {
      *ms = static_cast<int64_t>(now - n * mult) * 1000;
      return true;
    }
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && p == s.data() + s.size()) {
    *ms = static_cast<int64_t>(n) * 1000;
    return true;
  }
  for (const char* fmt :
       {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    tm t{};
    t.tm_isdst = -1;
    const char* end = ::strptime(s.c_str(), fmt, &t);
    if (end && *end == '\0') {
      *ms = static_cast<int64_t>(::mktime(&t)) * 1000;
      return true;
    }
  }
  return false;
}

std::string when(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  tm tmv{};
  ::localtime_r(&t, &tmv);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tmv);
  return buf;
}

std::string iso(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  tm tmv{};
  ::gmtime_r(&t, &tmv);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tmv);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string proto_name(uint32_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmp6";
    default:
      return std::to_string(p);
  }
}

std::string endpoint(const std::string& addr, uint32_t port) {
  if (addr.empty()) return "-";
  bool v6 = addr.find(':') != std::string::npos;
  return (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

void flow_object(JsonWriter& j, const ctl::FlowRow& f) {
  j.begin_object()
      .field("start", iso(f.start_ms()))
      .field("end", iso(f.end_ms()))
      .field("start_ms", f.start_ms())
      .field("end_ms", f.end_ms())
      .field("exporter", f.exporter())
      .field("observation_domain", f.domain())
      .field("src", f.src())
      .field("sport", f.sport())
      .field("dst", f.dst())
      .field("dport", f.dport())
      .field("proto", f.proto())
      .field("packets", f.packets())
      .field("bytes", f.bytes())
      .field("vpn_user", f.vpn_user())
      .field("vpn_group", f.vpn_group())
      .field("vpn_session", f.vpn_session())
      .field("attributed_by", f.attributed_by());
  // NVM's own fields only when the exporter sent them.
  auto opt = [&](const char* k, const std::string& v) {
    if (!v.empty()) j.field(k, v);
  };
  auto optn = [&](const char* k, uint64_t v) {
    if (v != 0) j.field(k, v);
  };
  optn("bytes_in", f.bytes_in());
  optn("bytes_out", f.bytes_out());
  opt("udid", f.udid());
  opt("claimed_user", f.claimed_user());
  opt("os_name", f.os_name());
  opt("os_version", f.os_version());
  opt("agent_version", f.agent_version());
  opt("process", f.process());
  opt("process_hash", f.process_hash());
  opt("process_path", f.process_path());
  opt("process_args", f.process_args());
  opt("process_account", f.process_account());
  optn("pid", f.pid());
  opt("parent", f.parent());
  opt("parent_hash", f.parent_hash());
  opt("parent_path", f.parent_path());
  opt("parent_account", f.parent_account());
  optn("parent_pid", f.parent_pid());
  opt("dest_hostname", f.dest_hostname());
  opt("dns_suffix", f.dns_suffix());
  opt("interface", f.interface());
  opt("gateway", f.gateway());
  opt("modules", f.modules());
  opt("module_hashes", f.module_hashes());
  opt("extra", f.extra());
  j.end_object();
}

}  // namespace

bool parse_flow_filter(const std::vector<std::string>& w, size_t i, long now, ctl::FlowFilter* f,
                       std::string* error) {
  for (; i < w.size(); i += 2) {
    if (i + 1 >= w.size()) {
      *error = "'" + w[i] + "' needs a value";
      return false;
    }
    const std::string& k = w[i];
    const std::string& v = w[i + 1];
    int64_t ms = 0;
    if (k == "user") {
      f->set_user(v);
    } else if (k == "session") {
      f->set_session(v);
    } else if (k == "dest" || k == "destination") {
      f->set_dest(v);
    } else if (k == "process") {
      f->set_process(v);
    } else if (k == "exporter") {
      f->set_exporter(v);
    } else if (k == "since" || k == "until") {
      if (!parse_when(v, now, &ms)) {
        *error = "'" + v + "' is not a time (Unix seconds, 2026-12-01 13:00, or an age like 30m, 2h, 7d)";
        return false;
      }
      k == "since" ? f->set_since_ms(ms) : f->set_until_ms(ms);
    } else if (k == "limit") {
      uint32_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n == 0) {
        *error = "limit: '" + v + "' is not a positive number";
        return false;
      }
      f->set_limit(n);
    } else {
      *error = "unknown filter '" + k + "' (user, session, since, until, dest, process, exporter, limit)";
      return false;
    }
  }
  return true;
}

std::string flows_table(const ctl::CtlReply& r) {
  std::vector<std::vector<std::string>> rows{
      {"end", "user", "proto", "source", "destination", "packets", "bytes", "process", "host"}};
  for (const auto& f : r.flows())
    rows.push_back({when(f.end_ms()), f.vpn_user().empty() ? "(none)" : f.vpn_user(), proto_name(f.proto()),
                    endpoint(f.src(), f.sport()), endpoint(f.dst(), f.dport()), std::to_string(f.packets()),
                    std::to_string(f.bytes()), f.process().empty() ? "-" : f.process(),
                    f.dest_hostname().empty() ? "-" : f.dest_hostname()});
  return table(rows);
}

std::string flows_json(const ctl::CtlReply& r) {
  JsonWriter j;
  j.begin_array();
  for (const auto& f : r.flows()) flow_object(j, f);
  j.end_array();
  return j.str() + "\n";
}

std::string flows_jsonl(const ctl::CtlReply& r) {
  std::string out;
  for (int i = r.flows_size() - 1; i >= 0; --i) {
    JsonWriter j;
    flow_object(j, r.flows(i));
    out += j.str() + "\n";
  }
  return out;
}

std::string collector_text(const ctl::CollectorStatus& s, long now) {
  std::string o;
  auto line = [&](const char* k, const std::string& v) { o += std::string(k) + ": " + v + "\n"; };
  auto num = [&](const char* k, uint64_t v) { line(k, std::to_string(v)); };
  num("Collector PID", s.pid());
  line("Listening on", s.listen());
  line("Store", s.store());
  num("Flows stored now", s.store_rows());
  line("Store size", human_bytes(s.store_bytes()));
  line("Oldest flow", s.store_oldest_ms() ? when(s.store_oldest_ms()) : "-");
  num("Messages", s.messages());
  num("Records", s.records());
  num("Options records", s.options_records());
  num("Flows stored", s.flows_stored());
  num("Flows attributed to a VPN session", s.flows_attributed());
  num("Flows from no VPN session", s.flows_unattributed());
  num("Endpoint records", s.endpoints());
  num("Interface records", s.interfaces());
  num("Records lost (sequence numbers)", s.sequence_lost());
  num("Messages out of order", s.sequence_disorder());
  num("Malformed messages", s.malformed_messages());
  num("Malformed records", s.malformed_records());
  num("Data sets without a template", s.sets_without_template());
  num("Templates learned", s.templates_learned());
  num("Templates withdrawn", s.templates_withdrawn());
  num("Templates expired", s.templates_expired());
  num("Templates refused (over a limit, malformed)", s.templates_refused());
  num("Exporters forgotten (too many)", s.exporters_forgotten());
  num("Datagrams refused (not in nvm-exporters)", s.datagrams_refused());
  num("Datagrams dropped by the kernel (receive buffer full)", s.datagrams_dropped_kernel());
  num("Flows dropped: unattributed", s.flows_dropped_unattributed());
  num("Flows dropped: private destination", s.flows_dropped_private());
  num("Flows dropped: store behind (queue full)", s.flows_dropped_queue());
  num("Flows lost: store failed", s.flows_store_failed());
  if (!s.last_store_error().empty()) line("Last store error", s.last_store_error());
  num("Strings truncated", s.strings_truncated());
  num("Flows expired (retention)", s.rows_expired());
  num("VPN tunnels known", s.live_sessions());
  if (s.dtls()) {
    num("DTLS sessions", s.dtls_sessions());
    num("DTLS handshakes", s.dtls_handshakes());
    num("DTLS handshakes failed (a refused certificate among them)", s.dtls_handshake_failures());
    num("DTLS cookies sent", s.dtls_cookies_sent());
    num("DTLS sessions refused (too many)", s.dtls_refused_no_room());
    num("DTLS handshakes refused (too many from one address)", s.dtls_refused_half_open());
    num("Datagrams that were not DTLS", s.dtls_not_dtls());
  }
  std::vector<std::vector<std::string>> rows{
      {"exporter", "messages", "records", "lost", "templates", "sequence", "last seen"}};
  for (const auto& e : s.exporters())
    rows.push_back({e.address(), std::to_string(e.messages()), std::to_string(e.records()),
                    std::to_string(e.lost()), std::to_string(e.templates()),
                    e.sequence_mode().empty() ? "-" : e.sequence_mode(),
                    human_duration(now - e.last_seen()) + " ago"});
  o += "\n" + table(rows);
  return o;
}

std::string collector_json(const ctl::CollectorStatus& s) {
  JsonWriter j;
  j.begin_object()
      .field("pid", s.pid())
      .field("listen", s.listen())
      .field("store", s.store())
      .field("store_rows", s.store_rows())
      .field("store_bytes", s.store_bytes())
      .field("store_oldest_ms", s.store_oldest_ms())
      .field("messages", s.messages())
      .field("records", s.records())
      .field("options_records", s.options_records())
      .field("flows_stored", s.flows_stored())
      .field("flows_attributed", s.flows_attributed())
      .field("flows_unattributed", s.flows_unattributed())
      .field("endpoints", s.endpoints())
      .field("interfaces", s.interfaces())
      .field("sequence_lost", s.sequence_lost())
      .field("sequence_disorder", s.sequence_disorder())
      .field("malformed_messages", s.malformed_messages())
      .field("malformed_records", s.malformed_records())
      .field("sets_without_template", s.sets_without_template())
      .field("templates_learned", s.templates_learned())
      .field("templates_withdrawn", s.templates_withdrawn())
      .field("templates_expired", s.templates_expired())
      .field("templates_refused", s.templates_refused())
      .field("exporters_forgotten", s.exporters_forgotten())
      .field("datagrams_refused", s.datagrams_refused())
      .field("datagrams_dropped_kernel", s.datagrams_dropped_kernel())
      .field("flows_dropped_unattributed", s.flows_dropped_unattributed())
      .field("flows_dropped_private", s.flows_dropped_private())
      .field("flows_dropped_queue", s.flows_dropped_queue())
      .field("flows_store_failed", s.flows_store_failed())
      .field("last_store_error", s.last_store_error())
      .field("strings_truncated", s.strings_truncated())
      .field("rows_expired", s.rows_expired())
      .field("queued", s.queued())
      .field("live_sessions", s.live_sessions())
      .field("dtls", s.dtls())
      .field("dtls_sessions", s.dtls_sessions())
      .field("dtls_handshakes", s.dtls_handshakes())
      .field("dtls_handshake_failures", s.dtls_handshake_failures())
      .field("dtls_cookies_sent", s.dtls_cookies_sent())
      .field("dtls_refused_no_room", s.dtls_refused_no_room())
      .field("dtls_refused_half_open", s.dtls_refused_half_open())
      .field("dtls_not_dtls", s.dtls_not_dtls());
  j.key("exporters").begin_array();
  for (const auto& e : s.exporters())
    j.begin_object()
        .field("address", e.address())
        .field("first_seen", e.first_seen())
        .field("last_seen", e.last_seen())
        .field("messages", e.messages())
        .field("records", e.records())
        .field("lost", e.lost())
        .field("domains", e.domains())
        .field("templates", e.templates())
        .field("sequence_mode", e.sequence_mode())
        .end_object();
  j.end_array().end_object();
  return j.str() + "\n";
}

}  // namespace sslvpn::ctltool
