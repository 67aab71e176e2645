// A session's own settings: the group's file (config-per-group, else default-group-config),
// then the user's (config-per-user, else default-user-config), then what the login method
// assigned (RADIUS attributes), each overriding the one before. Read when the session starts.
#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"
#include "ipc.pb.h"

namespace sslvpn::mainproc {

// On a file that exists but does not parse, Errc::Malformed with `error` naming file and line.
Result<ipc::UserSettings> load_session_settings(const Config& cfg, const std::string& user,
                                                const std::string& group, const ipc::UserSettings& from_login,
                                                std::string* error);

// sslvpnd -t: reads every per-user and per-group file the configuration names (its
// config-per-user/config-per-group directories, at most `max_files` each, and the default
// files), for this host and each [vhost:], and returns what a login would meet: an error
// (the tunnel would be refused) or a warning, each naming file and line.
std::vector<std::string> check_user_config_files(const Config& cfg, size_t max_files = 10000);

// expose-iroutes: the iroutes of every file in config-per-user (regular files of at most
// kMaxUserFile, at most `max_files`, in name order), each once, at most kMaxKnownIroutes (every
// session is routed to all of them). A file that does not parse gives none (its user's tunnels
// are refused); that and the cap are added to `warnings`.
inline constexpr size_t kMaxKnownIroutes = 512;
inline constexpr size_t kMaxUserFile = 64 * 1024;
std::vector<IpNet> read_known_iroutes(const std::string& dir, std::vector<std::string>* warnings,
                                      size_t max_files = 10000);

}  // namespace sslvpn::mainproc
