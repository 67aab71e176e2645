// fork+exec of helper processes with a fixed descriptor layout (STYLE rule 2), via posix_spawn.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::mainproc {

// Starts `path` with argv and exactly `env` ("KEY=value" entries; none by default; plus the
// cwrap variables when main runs under socket_wrapper, common/cwrap.hpp), stdin on
// /dev/null, stdout/stderr inherited, and each (source fd -> target fd) of `fds` in place;
// every other descriptor is closed and every signal disposition reset.
Result<pid_t> spawn_helper(const std::string& path, const std::vector<std::string>& argv,
                           const std::vector<std::pair<int, int>>& fds,
                           const std::vector<std::string>& env = {});

// Where a helper binary lives: beside the running sslvpnd (build tree), else in libexecdir.
std::string helper_path(const char* name);

}  // namespace sslvpn::mainproc
