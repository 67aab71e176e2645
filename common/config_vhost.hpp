// [vhost:NAME] sections of the main configuration (ocserv's virtual hosts, chosen by the TLS
// server name): which keys a section may set, its name, and the checks across hosts.
#pragma once

#include <string>
#include <string_view>

#include "common/config.hpp"

namespace sslvpn::vhost_config {

// Keys only the whole server has (listeners, processes, bans, sec-mod's cookie store, the
// OpenVPN and NVM services, ...): a vhost has the default's, and a section that sets one gets a
// warning. `key` is canonical.
bool server_wide(std::string_view key);

// The host name of a "[vhost:NAME]" section header (the text between the brackets), lower
// case; throws ConfigError naming the line for any other section or a malformed name.
std::string section_name(std::string_view origin, int line, std::string_view section);

// Address pools are shared by hosts with the same network; networks that only overlap would
// hand out one address twice, so they are an error.
void check_networks(const Config& root, std::string_view origin);

}  // namespace sslvpn::vhost_config
