// sslvpnctl's NVM collector commands: "show flows [FILTERS]" (a table, JSON with -j, JSON
// Lines with --jsonl for a SIEM) and "show collector".
#pragma once

#include <string>
#include <vector>

#include "ctl.pb.h"

namespace sslvpn::ctltool {

// Reads "user U", "session S", "since WHEN", "until WHEN", "dest D", "process P",
// "exporter E", "limit N" from words[from...]. WHEN: Unix seconds, "2026-12-01 13:00" (local
// time, or with T), or an age such as 90s, 30m, 2h, 7d. False with `error` on anything else.
bool parse_flow_filter(const std::vector<std::string>& words, size_t from, long now, ctl::FlowFilter* f,
                       std::string* error);

std::string flows_table(const ctl::CtlReply& r);
std::string flows_json(const ctl::CtlReply& r);
// One JSON object per line, oldest first: what a SIEM's file or pipe input reads.
std::string flows_jsonl(const ctl::CtlReply& r);
std::string collector_text(const ctl::CollectorStatus& s, long now);
std::string collector_json(const ctl::CollectorStatus& s);

}  // namespace sslvpn::ctltool
