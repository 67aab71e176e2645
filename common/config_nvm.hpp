// The NVM collector's keys of the configuration file (nvm-collector-port, nvm-store, ...),
// parsed into Config like every other key; kept apart like the OpenVPN ones.
#pragma once

#include <string_view>

#include "common/config.hpp"
#include "common/config_values.hpp"

namespace sslvpn::nvm_config {

bool is_key(std::string_view key);
void apply(Config& cfg, const cfgval::Where& w, std::string_view value);
// Checks across keys (the port is free; the store is one we have). Throws ConfigError.
void validate(const Config& cfg, std::string_view origin, int line);

}  // namespace sslvpn::nvm_config
