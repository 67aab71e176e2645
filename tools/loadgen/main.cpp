// sslvpnd-loadgen: many AnyConnect clients in one process, for capacity tests against sslvpnd
// or ocserv. See doc/performance.md.
//   sslvpnd-loadgen --server IP:PORT --user U --password P [--sessions N] [--rate R]
//                   [--hold SECONDS] [--pps P] [--dpd SECONDS] [--timeout SECONDS]
//                   [--linger SECONDS] [--resume] [--reuse] [--server-pid PID] [--json]
#include <ev.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tools/loadgen/loadgen.hpp"

using namespace sslvpn::loadgen;

namespace {

void usage() {
  std::fputs(
      "usage: sslvpnd-loadgen --server IP:PORT --user NAME --password PASS [options]\n"
      "  --sessions N       sessions to hold (default 100)\n"
      "  --rate R           new sessions per second (default 50)\n"
      "  --hold SECONDS     how long to hold them once all are up (default 10)\n"
      "  --pps P            data packets per second per session (default 0: DPD only)\n"
      "  --dpd SECONDS      the clients' DPD interval (default 30)\n"
      "  --timeout SECONDS  a session not up by then fails (default 60)\n"
      "  --linger SECONDS   end each session this long after it is up (a login storm; default:\n"
      "                     hold every session to the end)\n"
      "  --resume           resume the login's TLS session for CONNECT (as Cisco's client does)\n"
      "  --reuse            send CONNECT on the login's connection (as openconnect does)\n"
      "  --server-pid PID   measure the server's PSS and CPU (its process tree)\n"
      "  --json             one JSON object instead of the text report\n"
      "Exit status 0 when every session came up and lasted the hold.\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  static const option kLong[] = {{"server", required_argument, nullptr, 's'},
                                 {"user", required_argument, nullptr, 'u'},
                                 {"password", required_argument, nullptr, 'p'},
                                 {"sessions", required_argument, nullptr, 'n'},
                                 {"rate", required_argument, nullptr, 'r'},
                                 {"hold", required_argument, nullptr, 'H'},
                                 {"pps", required_argument, nullptr, 'P'},
                                 {"dpd", required_argument, nullptr, 'd'},
                                 {"timeout", required_argument, nullptr, 't'},
                                 {"linger", required_argument, nullptr, 'L'},
                                 {"resume", no_argument, nullptr, 'R'},
                                 {"reuse", no_argument, nullptr, 'U'},
                                 {"server-pid", required_argument, nullptr, 'S'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  Options o;
  int c;
  while ((c = getopt_long(argc, argv, "s:u:p:n:r:H:P:d:t:L:RUS:jh", kLong, nullptr)) != -1) {
    switch (c) {
      case 's': {
        std::string v = optarg;
        auto colon = v.rfind(':');
        if (colon == std::string::npos) return usage(), 2;
        o.host = v.substr(0, colon);
        o.port = static_cast<uint16_t>(std::atoi(v.c_str() + colon + 1));
        break;
      }
      case 'u':
        o.user = optarg;
        break;
      case 'p':
        o.password = optarg;
        break;
      case 'n':
        o.sessions = static_cast<uint32_t>(std::strtoul(optarg, nullptr, 10));
        break;
      case 'r':
        o.rate = std::atof(optarg);
        break;
      case 'H':
        o.hold_s = std::atof(optarg);
        break;
      case 'P':
        o.pps = std::atof(optarg);
        break;
      case 'd':
        o.dpd_s = static_cast<uint32_t>(std::strtoul(optarg, nullptr, 10));
        break;
      case 't':
        o.timeout_s = std::atof(optarg);
        break;
      case 'L':
        o.linger_s = std::atof(optarg);
        break;
      case 'R':
        o.resume = true;
        break;
      case 'U':
        o.reuse = true;
        break;
      case 'S':
        o.server_pid = std::atoi(optarg);
        break;
      case 'j':
        o.json = true;
        break;
      case 'h':
        return usage(), 0;
      default:
        return usage(), 2;
    }
  }
  if (o.user.empty() || o.port == 0 || o.sessions == 0 || o.rate <= 0 || o.dpd_s == 0) return usage(), 2;
  ::signal(SIGPIPE, SIG_IGN);
  gnutls_global_init();
  try {
    struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
    Loadgen g(loop, o);
    return g.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sslvpnd-loadgen: %s\n", e.what());
    return 2;
  }
}
