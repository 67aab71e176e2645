// connect-script / disconnect-script: run by main (root) with ocserv's environment variables.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::mainproc {

using ScriptEnv = std::map<std::string, std::string>;

// Starts `path` with `args` after its name and exactly `env` (plus a safe PATH), stdin on
// /dev/null. Returns its pid; the caller learns the exit status from its child watcher.
Result<pid_t> start_script(const std::string& path, const ScriptEnv& env,
                           const std::vector<std::string>& args = {});

// Where connect-scripts' output files go: a directory of root's alone (0700) beside the control
// socket (/run/sslvpnd/connect-script), so that no one else can put a file at a name a script
// removed. Made when missing; an existing one must be a directory of ours that no one else may
// enter, and files left there (main stopped while a script ran) are removed. "" with `error`
// when it cannot be had.
std::string prepare_connect_output_dir(const std::string& socket_file, std::string* error);
// The file a connect-script may write its output to (main/connect_output.hpp): made empty,
// mode 0600, with a name no one can guess, in `dir`. Its path, or "" when it cannot be made.
std::string make_connect_output_file(const std::string& dir);
// Reads it (at most `limit` + 1 bytes) and removes it; "" when the script removed it; nullopt
// when it cannot be read or is not a plain file of ours with one link.
std::optional<std::string> take_connect_output_file(const std::string& path, size_t limit);

}  // namespace sslvpn::mainproc
