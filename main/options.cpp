#include "main/options.hpp"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/config_keys.hpp"

namespace sslvpn::mainproc {
namespace {

void usage(FILE* f) {
  std::fputs(
      "Usage: sslvpnd [OPTIONS]\n"
      "SSL VPN server for AnyConnect/OpenConnect clients.\n\n"
      "  -c, --config FILE   configuration file (default /etc/sslvpnd/sslvpnd.conf)\n"
      "  -f, --foreground    do not daemonize; log to stderr\n"
      "  -d, --debug LEVEL   log level: 1 warnings, 2 info (default), 3 debug, 8 sensitive\n"
      "  -p, --pid-file FILE write the main process id to FILE\n"
      "  -t, --test-config   check the configuration and exit\n"
      "      --no-chdir      accepted for ocserv's service files (sslvpnd never changes directory)\n"
      "      --ocserv-keys   print every ocserv configuration key and what sslvpnd does with it\n"
      "  -v, --version       print the version and exit\n"
      "  -h, --help          this text\n",
      f);
}

}  // namespace

std::optional<int> parse_options(int argc, char** argv, Options* o) {
  static const option kLong[] = {
      {"config", required_argument, nullptr, 'c'},
      {"foreground", no_argument, nullptr, 'f'},
      {"debug", required_argument, nullptr, 'd'},
      {"pid-file", required_argument, nullptr, 'p'},
      {"test-config", no_argument, nullptr, 't'},
      {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {"no-chdir", no_argument, nullptr, 'C'},
      {"ocserv-keys", no_argument, nullptr, 'K'},
      {nullptr, 0, nullptr, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "c:fd:p:tvh", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c':
        o->config_file = optarg;
        break;
      case 'f':
        o->foreground = true;
        break;
      case 'd': {
        char* end = nullptr;
        long v = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || v < 0 || v > 9) {
          std::fprintf(stderr, "sslvpnd: -d expects a level from 0 to 9\n");
          return 2;
        }
        o->debug_level = static_cast<int>(v);
        break;
      }
      case 'p':
        o->pid_file = optarg;
        break;
      case 't':
        o->test_config = true;
        break;
      case 'C':  // ocserv's: do not chdir("/") when daemonizing. sslvpnd never does.
        break;
      case 'K':
        std::fputs(ocserv_keys_markdown().c_str(), stdout);
        return 0;
      case 'v':
        std::printf("sslvpnd %s\n", SSLVPND_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "sslvpnd: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  return std::nullopt;
}

}  // namespace sslvpn::mainproc
