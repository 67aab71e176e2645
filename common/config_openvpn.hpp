// The OpenVPN keys of the configuration file (openvpn-udp-port, openvpn-tls-crypt, ...): parsed
// into Config like every other key, kept apart so config.cpp stays one protocol's size.
#pragma once

#include <string_view>

#include "common/config.hpp"
#include "common/config_values.hpp"

namespace sslvpn::openvpn_config {

bool is_key(std::string_view key);
void apply(Config& cfg, const cfgval::Where& w, std::string_view value);
// Checks across keys (one wrap only; ports that do not collide). Throws ConfigError.
void validate(const Config& cfg, std::string_view origin, int line);

}  // namespace sslvpn::openvpn_config
