// sslvpnctl show events, as occtl's handle_events_cmd: the users table, "Press 'q' or CTRL+C to
// quit", then a line per connect and disconnect; 'q' (on a terminal) or Ctrl-C ends it.
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "tools/ctl/client.hpp"
#include "tools/ctl/render.hpp"

namespace sslvpn::ctltool {
namespace {

void on_sigint(int) {}

// While events are shown: on a terminal, keys without Enter and without echo (occtl's mode), and
// Ctrl-C only ends the wait (poll returns EINTR); both restored at the end.
class EventTerminal {
 public:
  explicit EventTerminal(bool keys) {
    raw_ = keys && ::tcgetattr(STDIN_FILENO, &saved_) == 0;
    if (raw_) {
      termios t = saved_;
      t.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);  // without SA_RESTART
  }
  ~EventTerminal() {
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    ::sigaction(SIGINT, &old_int_, nullptr);
  }
  EventTerminal(const EventTerminal&) = delete;
  EventTerminal& operator=(const EventTerminal&) = delete;

 private:
  bool raw_ = false;
  termios saved_{};
  struct sigaction old_int_ {};
};

// Waits until the server sends something; false on 'q', Ctrl-C or an error. `keys`: read the
// terminal too (cleared when it ends).
bool wait_for_event(int sock, bool* keys) {
  while (true) {
    pollfd p[2] = {{sock, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (::poll(p, *keys ? 2 : 1, -1) < 0) return false;  // EINTR: Ctrl-C
    if (p[0].revents != 0) return true;
    if (*keys && p[1].revents != 0) {
      char c = 0;
      if (::read(STDIN_FILENO, &c, 1) <= 0)
        *keys = false;
      else if (c == 'q' || c == 'Q')
        return false;
    }
  }
}

int failed(const std::string& error) {
  std::fprintf(stderr, "sslvpnctl: %s\n", error.c_str());
  return 1;
}

}  // namespace

int watch_events(Client& client, bool json) {
  ctl::CtlReply users, reply;
  std::string error;
  ctl::CtlRequest list;
  list.set_list_users(true);
  if (!json && !client.call(list, &users, &error)) return failed(error);
  ctl::CtlRequest req;
  req.set_watch_events(true);
  if (!client.call(req, &reply, &error)) return failed(error);
  if (!reply.ok()) return failed(reply.error());
  if (!json) {
    std::fputs(users_table(users, static_cast<long>(std::time(nullptr))).c_str(), stdout);
    std::fputs("\nPress 'q' or CTRL+C to quit\n\n", stdout);
  }
  std::fflush(stdout);
  bool keys = ::isatty(STDIN_FILENO) == 1;
  EventTerminal terminal(keys);
  while (wait_for_event(client.fd(), &keys) && client.next(&reply)) {
    if (!reply.has_event()) continue;
    std::string line = json ? event_json(reply.event()) : event_line(reply.event());
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace sslvpn::ctltool
