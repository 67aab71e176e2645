// sslvpnctl: controls a running sslvpnd, with occtl's options and commands.
//   sslvpnctl [-s SOCKET] [-j] [-n] [COMMAND...]
// Without a command it reads commands from standard input (a prompt on a terminal).
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/ipc_channel.hpp"
#include "common/json_writer.hpp"
#include "tools/ctl/flows.hpp"
#include "tools/ctl/render.hpp"

using namespace sslvpn;
using namespace sslvpn::ctltool;

namespace {

constexpr const char* kDefaultSocket = "/run/sslvpnd/sslvpnd.socket";

const char* kHelp =
    "Commands:\n"
    "  show status                   the server's state and totals\n"
    "  show users                    connected users, one line each\n"
    "  show user NAME                details of NAME's tunnels\n"
    "  show id ID                    details of one tunnel\n"
    "  show sessions [all|valid]     sessions (cookies), with or without a tunnel\n"
    "  show session SID              the tunnel of one session\n"
    "  disconnect user NAME | id ID  drop tunnels; the client may reconnect with its cookie\n"
    "  terminate user NAME | id ID | session SID\n"
    "                                drop tunnels and their cookies (no reconnect)\n"
    "  show ip bans                  addresses banned now\n"
    "  show ip ban points            addresses with ban points\n"
    "  unban ip IP                   lift a ban (IPv6: the whole /64)\n"
    "  reload                        re-read the configuration (sessions stay up)\n"
    "  show events                   print connects and disconnects as they happen\n"
    "  show iroutes                  networks routed to each connected client\n"
    "  show flows [FILTERS] [--jsonl] flows from the NVM collector, newest first; FILTERS:\n"
    "                                user U, session S, since WHEN, until WHEN, dest ADDR|HOST,\n"
    "                                process P, exporter IP, limit N (WHEN: 30m, 2h, 7d, Unix\n"
    "                                seconds or 2026-12-01 13:00); --jsonl: JSON Lines, oldest first\n"
    "  show collector                the NVM collector: exporters, templates, records, losses\n"
    "  stop now                      stop the server\n"
    "  help                          this text\n"
    "  exit                          leave the interactive shell\n";

struct Options {
  std::string socket = kDefaultSocket;
  bool json = false;
  bool jsonl = false;  // show flows: JSON Lines
};

class Client {
 public:
  explicit Client(const std::string& path) : path_(path) {}
  // Sends one request; a reply or an error text.
  bool call(const ctl::CtlRequest& req, ctl::CtlReply* reply, std::string* error) {
    if (!ch_.valid() && !connect(error)) return false;
    if (!ch_.send(req)) {
      *error = "cannot send to " + path_;
      return false;
    }
    reply->Clear();
    for (int parts = 0; parts < 1000000; ++parts) {
      auto r = ch_.recv<ctl::CtlReply>(false);
      if (!r.ok()) {
        *error = std::string("no answer from sslvpnd: ") + errc_name(r.error());
        return false;
      }
      // A long list arrives in parts: join their rows.
      bool more = r->first.more();
      r->first.set_more(false);
      reply->MergeFrom(r->first);
      if (!more) return true;
    }
    *error = "the reply from sslvpnd does not end";
    return false;
  }
  // The next message sslvpnd sends unasked (show events); false when the connection ends.
  bool next(ctl::CtlReply* reply) {
    auto r = ch_.recv<ctl::CtlReply>(false);
    if (!r.ok()) return false;
    *reply = std::move(r->first);
    return true;
  }

 private:
  bool connect(std::string* error) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path_.size() >= sizeof sa.sun_path) {
      *error = "socket path too long";
      return false;
    }
    std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
    if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      *error = "cannot connect to " + path_ + ": " + std::strerror(errno) +
               " (is sslvpnd running, with this occtl-socket-file? sslvpnctl needs root)";
      return false;
    }
    ch_ = IpcChannel(std::move(fd));
    return true;
  }
  std::string path_;
  IpcChannel ch_;
};

bool parse_u64(const std::string& s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_select(const std::vector<std::string>& w, size_t i, bool allow_session, ctl::Select* sel,
                  std::string* error) {
  if (w.size() != i + 2) {
    *error = "expected 'user NAME', 'id ID'" + std::string(allow_session ? " or 'session SID'" : "");
    return false;
  }
  if (w[i] == "user") {
    sel->set_user(w[i + 1]);
  } else if (w[i] == "id") {
    uint64_t id = 0;
    if (!parse_u64(w[i + 1], &id)) {
      *error = "'" + w[i + 1] + "' is not a number";
      return false;
    }
    sel->set_id(id);
  } else if (w[i] == "session" && allow_session) {
    sel->set_session(w[i + 1]);
  } else {
    *error =
        "expected 'user', 'id'" + std::string(allow_session ? " or 'session'" : "") + ", got '" + w[i] + "'";
    return false;
  }
  return true;
}

// show events: prints each connect and disconnect as it happens, until sslvpnd goes away or
// the user interrupts.
int watch_events(Client& client, const Options& o) {
  ctl::CtlRequest req;
  req.set_watch_events(true);
  ctl::CtlReply reply;
  std::string error;
  if (!client.call(req, &reply, &error)) return std::fprintf(stderr, "sslvpnctl: %s\n", error.c_str()), 1;
  if (!reply.ok()) return std::fprintf(stderr, "%s\n", reply.error().c_str()), 1;
  if (!o.json) std::printf("watching connects and disconnects (Ctrl-C stops)\n");
  std::fflush(stdout);
  while (client.next(&reply)) {
    if (!reply.has_event()) continue;
    std::string line = o.json ? event_json(reply.event()) : event_line(reply.event());
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

// Runs one command line; returns the exit status (0 ok, 1 failed, 2 usage).
int run_words(Client& client, const Options& o, const std::vector<std::string>& w);

// occtl reads its global options anywhere on the line ("show users --debug", "show status -j"):
// they are taken out of the command words here. --debug only adds fields to occtl's output;
// sslvpnctl always prints what it has.
int run(Client& client, const Options& given, const std::vector<std::string>& words) {
  Options o = given;
  std::vector<std::string> w;
  for (const auto& x : words) {
    if (x == "--debug" || x == "-d" || x == "-n" || x == "--no-pager") continue;
    if (x == "-j" || x == "--json") {
      o.json = true;
      continue;
    }
    if (x == "--jsonl") {
      o.jsonl = true;
      continue;
    }
    w.push_back(x);
  }
  return run_words(client, o, w);
}

int run_words(Client& client, const Options& o, const std::vector<std::string>& w) {
  long now = static_cast<long>(std::time(nullptr));
  ctl::CtlRequest req;
  std::string error;
  enum class Show { Status, Users, UserDetails, Sessions, Bans, Iroutes, Reload, Flows, Collector, Done };
  Show show = Show::Done;
  auto is = [&](std::initializer_list<const char*> words) {
    if (w.size() < words.size()) return false;
    size_t i = 0;
    for (const char* x : words)
      if (w[i++] != x) return false;
    return true;
  };
  if (w.empty()) return 0;
  if (is({"help"}) || is({"?"})) {
    std::fputs(kHelp, stdout);
    return 0;
  } else if (is({"show", "status"}) && w.size() == 2) {
    req.set_status(true);
    show = Show::Status;
  } else if (is({"show", "users"}) && w.size() == 2) {
    req.set_list_users(true);
    show = Show::Users;
  } else if (is({"show", "user"}) && w.size() == 3) {
    req.mutable_user_info()->set_user(w[2]);
    show = Show::UserDetails;
  } else if (is({"show", "id"}) && w.size() == 3) {
    uint64_t id = 0;
    if (!parse_u64(w[2], &id)) return std::fprintf(stderr, "'%s' is not a number\n", w[2].c_str()), 2;
    req.mutable_user_info()->set_id(id);
    show = Show::UserDetails;
  } else if ((is({"show", "sessions"}) || is({"show", "cookies"})) && w.size() <= 3) {
    if (w.size() == 3 && w[2] != "all" && w[2] != "valid")
      return std::fprintf(stderr, "expected all or valid\n"), 2;
    req.set_list_sessions(true);
    show = Show::Sessions;
  } else if (is({"show", "session"}) && w.size() == 3) {
    req.mutable_user_info()->set_session(w[2]);
    show = Show::UserDetails;
  } else if (is({"disconnect"})) {
    if (!parse_select(w, 1, false, req.mutable_disconnect(), &error))
      return std::fprintf(stderr, "%s\n", error.c_str()), 2;
  } else if (is({"terminate"})) {
    if (!parse_select(w, 1, true, req.mutable_terminate(), &error))
      return std::fprintf(stderr, "%s\n", error.c_str()), 2;
  } else if (is({"stop", "now"}) && w.size() == 2) {
    req.set_stop(true);
  } else if (is({"show", "ip", "bans"}) && w.size() == 3) {
    req.set_list_bans(true);
    show = Show::Bans;
  } else if (is({"show", "ip", "ban", "points"}) && w.size() == 4) {
    req.set_list_ban_points(true);
    show = Show::Bans;
  } else if (is({"unban", "ip"}) && w.size() == 3) {
    req.set_unban(w[2]);
  } else if (is({"reload"}) && w.size() == 1) {
    req.set_reload(true);
    show = Show::Reload;
  } else if (is({"show", "iroutes"}) && w.size() == 2) {
    req.set_list_users(true);
    show = Show::Iroutes;
  } else if (is({"show", "flows"})) {
    if (!parse_flow_filter(w, 2, now, req.mutable_show_flows(), &error))
      return std::fprintf(stderr, "%s\n", error.c_str()), 2;
    show = Show::Flows;
  } else if (is({"show", "collector"}) && w.size() == 2) {
    req.set_collector_status(true);
    show = Show::Collector;
  } else if (is({"show", "events"}) && w.size() == 2) {
    return watch_events(client, o);
  } else {
    std::fprintf(stderr, "unknown command; try 'help'\n");
    return 2;
  }
  ctl::CtlReply reply;
  if (!client.call(req, &reply, &error)) {
    std::fprintf(stderr, "sslvpnctl: %s\n", error.c_str());
    return 1;
  }
  if (!reply.ok()) {
    std::fprintf(stderr, "%s\n", reply.error().c_str());
    return 1;
  }
  std::string out;
  switch (show) {
    case Show::Status:
      out = o.json ? status_json(reply.status(), now) : status_text(reply.status(), now);
      break;
    case Show::Users:
      out = o.json ? users_json(reply, now) : users_table(reply, now);
      break;
    case Show::UserDetails:
      if (o.json) {
        out = users_json(reply, now);
      } else {
        for (int i = 0; i < reply.users_size(); ++i)
          out += (i ? "\n" : "") + user_details(reply.users(i), now);
      }
      break;
    case Show::Sessions:
      out = o.json ? sessions_json(reply, now) : sessions_table(reply, now);
      break;
    case Show::Bans:
      out = o.json ? bans_json(reply, now) : bans_table(reply, now);
      break;
    case Show::Iroutes:
      out = o.json ? iroutes_json(reply) : iroutes_table(reply);
      break;
    case Show::Flows:
      out = o.jsonl ? flows_jsonl(reply) : o.json ? flows_json(reply) : flows_table(reply);
      break;
    case Show::Collector:
      out = o.json ? collector_json(reply.collector()) : collector_text(reply.collector(), now);
      break;
    case Show::Reload: {
      std::vector<std::string> notes(reply.notes().begin(), reply.notes().end());
      if (o.json) {
        JsonWriter j;
        j.begin_object().field("ok", true).field("notes", notes).end_object();
        out = j.str() + "\n";
      } else {
        out = "configuration reloaded\n";
        for (const auto& n : notes) out += "note: " + n + "\n";
      }
      break;
    }
    case Show::Done:
      out = o.json ? "{\"ok\":true,\"affected\":" + std::to_string(reply.affected()) + "}\n"
                   : (reply.affected() ? std::to_string(reply.affected()) + " affected\n" : std::string());
      break;
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  std::string x;
  while (in >> x) w.push_back(x);
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  static const option kLong[] = {
      {"socket-file", required_argument, nullptr, 's'},
      {"json", no_argument, nullptr, 'j'},
      {"no-pager", no_argument, nullptr, 'n'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'v'},
      {"debug", no_argument, nullptr, 'd'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  int c;
  // '+': stop at the first command word, so "show users" is not read as options.
  while ((c = getopt_long(argc, argv, "+s:jnhvd", kLong, nullptr)) != -1) {
    switch (c) {
      case 's':
        o.socket = optarg;
        break;
      case 'j':
        o.json = true;
        break;
      case 'n':
        break;  // no pager: sslvpnctl never pages
      case 'd':
        break;  // occtl's --debug adds fields; sslvpnctl always prints what it has
      case 'h':
        std::printf("Usage: sslvpnctl [-s SOCKET] [-j|--json] [-n] [COMMAND]\n%s", kHelp);
        return 0;
      case 'v':
        std::printf("sslvpnctl %s\n", SSLVPND_VERSION);
        return 0;
      default:
        return 2;
    }
  }
  Client client(o.socket);
  if (optind < argc) return run(client, o, std::vector<std::string>(argv + optind, argv + argc));
  bool tty = ::isatty(STDIN_FILENO);
  std::string line;
  int status = 0;
  while (true) {
    if (tty) std::fputs("sslvpnctl> ", stdout), std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    auto w = split_words(line);
    if (!w.empty() && (w[0] == "exit" || w[0] == "quit")) break;
    status = run(client, o, w);
  }
  if (tty) std::fputs("\n", stdout);
  return status;
}
