// The login methods of `auth` and `enable-auth` lines: ocserv's method[key=value,...] specs
// (parse_auth_method, in config.hpp) and the chains they build.
#pragma once

#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/config_values.hpp"

namespace sslvpn {

// Adds one `auth`/`enable-auth` value to a chain: at most a certificate and one password method.
// ocserv's gssapi and oidc leave the chain marked unsupported, with a warning. Throws ConfigError.
void add_auth_method(const cfgval::Where& c, std::vector<ConfigWarning>* warnings, AuthChain& chain,
                     std::string_view v);

}  // namespace sslvpn
