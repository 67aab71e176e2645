// connect-script / disconnect-script: run by main (root) with ocserv's environment variables.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "common/result.hpp"

namespace sslvpn::mainproc {

using ScriptEnv = std::map<std::string, std::string>;

// Starts `path` with exactly `env` (plus a safe PATH), stdin on /dev/null. Returns its pid;
// the caller learns the exit status from its child watcher.
Result<pid_t> start_script(const std::string& path, const ScriptEnv& env);

}  // namespace sslvpn::mainproc
