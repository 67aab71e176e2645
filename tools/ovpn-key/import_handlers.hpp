// sslvpnd-ovpn-key import: the handler of each openvpn server directive (import_handlers.cpp for
// the network, keys and pushes; import_logins.cpp for logins, scripts and what is only noted).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tools/ovpn-key/import_state.hpp"

namespace sslvpn::ovpnkey {

using Words = std::vector<std::string>;
using Handler = std::function<void(ImportState&, const Words&, const Src&)>;
using HandlerTable = std::map<std::string, Handler>;

// A decimal number of at most `max`.
bool import_number(const std::string& s, unsigned long max, unsigned long* v);

void add_network_handlers(HandlerTable& t);  // ports, pool, keys, ciphers, pushes, timers
void add_login_handlers(HandlerTable& t);    // logins, certificates, scripts
void add_noted_handlers(HandlerTable& t);    // what is only noted or warned about

// Directives that change nothing sslvpnd does: openvpn's own housekeeping.
bool import_housekeeping(const std::string& name);

}  // namespace sslvpn::ovpnkey
