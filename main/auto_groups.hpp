// auto-select-group (ocserv's): the login form's group list is every group the password
// method knows, read when the configuration is loaded or reloaded: the groups named in a plain
// password file, or the system groups with gid >= gid-min for PAM. RADIUS and certificates
// have no list (a warning); `select-group` entries stay first, with their labels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/log.hpp"

namespace sslvpn::mainproc {

// The groups of a password file's text, in the order they first appear, without repeats;
// names of one character (ocserv's "*" for none) are left out.
std::vector<std::string> passwd_file_groups(std::string_view text);

// Appends the password method's groups to c.select_groups when c.auto_select_group is set.
void add_auto_select_groups(Config& c, Logger& log);

}  // namespace sslvpn::mainproc
