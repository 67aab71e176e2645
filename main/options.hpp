// sslvpnd's command line, with ocserv's flags.
#pragma once

#include <optional>
#include <string>

namespace sslvpn::mainproc {

struct Options {
  std::string config_file = "/etc/sslvpnd/sslvpnd.conf";
  bool foreground = false;
  int debug_level = -1;  // -1: not given
  std::string pid_file;
  bool test_config = false;
};

// Parses argv. On --help/--version (or an error) prints and returns the exit code to use.
std::optional<int> parse_options(int argc, char** argv, Options* out);

}  // namespace sslvpn::mainproc
