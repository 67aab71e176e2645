// Reads everything main needs from the configuration file: the parsed configuration, the run-as
// identity, the server certificate chain, and checks the files the login methods read. Used at
// startup and by reload; throws (std::runtime_error or ConfigError) naming what is wrong.
#pragma once

#include <string>

#include "common/log.hpp"
#include "main/server.hpp"

namespace sslvpn::mainproc {

ServerSettings load_server_settings(const std::string& config_path, Logger& log);

}  // namespace sslvpn::mainproc
