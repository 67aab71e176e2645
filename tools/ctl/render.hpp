// How sslvpnctl shows replies: for people and their scripts, occtl's text layout (tables with
// its column widths, "\tName: value" lines; ocserv's src/occtl/unix.c and print.c), and JSON with
// occtl's key names for scripts and dashboards (a stable interface: doc/sslvpnctl.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ctl.pb.h"

namespace sslvpn::ctltool {

std::string status_text(const ctl::ServerStatus& s, long now);
std::string status_json(const ctl::ServerStatus& s, long now);
std::string users_table(const ctl::CtlReply& r, long now);
std::string user_details(const ctl::UserRow& u, long now);
std::string users_json(const ctl::CtlReply& r, long now);

// show sessions: occtl's table. `users` (a list_users reply) gives the client's address and user
// agent of the sessions that have a tunnel.
std::string sessions_table(const ctl::CtlReply& r, const ctl::CtlReply& users, long now);
// show session SID: occtl's block for each session whose id starts with `sid`; "" when none.
std::string session_details(const ctl::CtlReply& r, const ctl::CtlReply& users, const std::string& sid);
std::string sessions_json(const ctl::CtlReply& r, long now);

// show ip bans (points = false: banned addresses, with the time left) and show ip ban points.
std::string bans_table(const ctl::CtlReply& r, long now, bool points);
std::string bans_json(const ctl::CtlReply& r, long now);
// show iroutes: the networks routed to each connected client.
std::string iroutes_table(const ctl::CtlReply& r);
std::string iroutes_json(const ctl::CtlReply& r);
// show events: one line per event (JSON: one object per line).
std::string event_line(const ctl::Event& e);
std::string event_json(const ctl::Event& e);

// Column widths from the longest cell; text is printed as it is, control bytes replaced.
std::string table(const std::vector<std::vector<std::string>>& rows);
// occtl's table lines: each cell as printf's "%Ns" (right-aligned in at least N bytes; 0: as it
// is), one space apart, control bytes replaced; no newline.
std::string columns(std::initializer_list<std::pair<std::string, size_t>> cells);

// occtl's "\tName: value" lines (src/occtl/print.c).
class Block {
 public:
  // "\tName: value"; nothing when value is "".
  void single(const std::string& name, const std::string& value);
  // "\tName: v1   Name2: v2", each half left out when its value is "" (occtl's print_pair_value).
  void pair(const std::string& n1, const std::string& v1, const std::string& n2, const std::string& v2);
  // "\tName: first", then "\t\tnext" per entry; returns how many.
  template <class List>
  int list(const std::string& name, const List& items) {
    int n = 0;
    for (const auto& x : items) out_ += (n++ == 0 ? "\t" + name + ": " : std::string("\t\t")) + x + "\n";
    return n;
  }
  void line(const std::string& text) { out_ += text + "\n"; }
  // occtl's print_separator: an empty line.
  void separator() { out_ += "\n"; }
  const std::string& str() const noexcept { return out_; }

 private:
  std::string out_;
};

// occtl's bytes2human: "512 bytes", "1.2 KB", "3.4 MB", "5.6 GB" (units of 1000), then suffix.
std::string bytes2human(uint64_t b, const char* suffix = "");
// occtl's print_time_ival7, 7 columns at most: "   45s", " 3m:02s", " 1h:02m", " 3days", "   ?   ".
std::string ival7(long seconds);
// occtl's session id: the first 6 characters (the whole one in "Full session ID" and JSON).
std::string short_session(const std::string& sid);
// "(none)" for an empty user or group name, as occtl.
std::string or_none(const std::string& s);
// A session's [vhost:NAME], or "default" (occtl's name for the global settings).
std::string vhost_or_default(const std::string& vhost);

// For JSON (unchanged formats): "1.2 MB", "512 bytes"; "1h:02m" durations; "2026-11-22 13:00"
// times (also occtl's date format in text).
std::string human_bytes(uint64_t b);
std::string human_duration(long seconds);
std::string human_time(long unix_time);

}  // namespace sslvpn::ctltool
