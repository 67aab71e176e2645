// How sslvpnctl shows replies: aligned tables and key/value lists for people, and JSON with
// occtl's key names for scripts and dashboards (a stable interface: doc/sslvpnctl.md).
#pragma once

#include <string>
#include <vector>

#include "ctl.pb.h"

namespace sslvpn::ctltool {

std::string status_text(const ctl::ServerStatus& s, long now);
std::string status_json(const ctl::ServerStatus& s, long now);
std::string users_table(const ctl::CtlReply& r, long now);
std::string user_details(const ctl::UserRow& u, long now);
std::string users_json(const ctl::CtlReply& r, long now);
std::string sessions_table(const ctl::CtlReply& r, long now);
std::string sessions_json(const ctl::CtlReply& r, long now);

std::string bans_table(const ctl::CtlReply& r, long now);
// show iroutes: the networks routed to each connected client.
std::string iroutes_table(const ctl::CtlReply& r);
std::string iroutes_json(const ctl::CtlReply& r);
// show events: one line per event (JSON: one object per line).
std::string event_line(const ctl::Event& e);
std::string event_json(const ctl::Event& e);
std::string bans_json(const ctl::CtlReply& r, long now);

// Column widths from the longest cell; text is printed as it is, control bytes replaced.
std::string table(const std::vector<std::vector<std::string>>& rows);

// "1.2 MB", "512 bytes"
std::string human_bytes(uint64_t b);
// "1h:02m" style durations, "2026-11-22 13:00" times
std::string human_duration(long seconds);
std::string human_time(long unix_time);

}  // namespace sslvpn::ctltool
