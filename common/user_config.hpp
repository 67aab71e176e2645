// Per-user and per-group settings (config-per-user, config-per-group, default-user-config,
// default-group-config): ocserv's files of "key = value" lines with the keys a single session
// may change (routes, DNS, addresses, limits, timers). Parsed when a session starts, so edits
// apply to the next session without a reload.
#pragma once

#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "ipc.pb.h"

namespace sslvpn {

// Parses one file; throws ConfigError naming the file, line and key. Keys ocserv allows there
// that sslvpnd does not implement give a warning; other keys are errors.
ipc::UserSettings parse_user_config(std::string_view text, std::string_view origin,
                                    std::vector<ConfigWarning>* warnings);

// Fields set in `over` replace those of `base` (a list replaces the whole list).
void merge_user_settings(ipc::UserSettings& base, const ipc::UserSettings& over);

// Whether a user or group name may name a file in a per-user directory: no path separators, no
// leading dot, nothing that could leave the directory.
bool safe_config_name(std::string_view name);

}  // namespace sslvpn
