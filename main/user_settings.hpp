// A session's own settings: the group's file (config-per-group, else default-group-config),
// then the user's (config-per-user, else default-user-config), then what the login method
// assigned (RADIUS attributes), each overriding the one before. Read when the session starts.
#pragma once

#include <string>

#include "common/config.hpp"
#include "common/result.hpp"
#include "ipc.pb.h"

namespace sslvpn::mainproc {

// On a file that exists but does not parse, Errc::Malformed with `error` naming file and line.
Result<ipc::UserSettings> load_session_settings(const Config& cfg, const std::string& user,
                                                const std::string& group, const ipc::UserSettings& from_login,
                                                std::string* error);

}  // namespace sslvpn::mainproc
