// sslvpnctl: controls a running sslvpnd, with occtl's options, commands and text output.
//   sslvpnctl [-s SOCKET] [-j] [-n] [COMMAND...]
// Without a command it reads commands from standard input (a prompt on a terminal).
#include <arpa/inet.h>
#include <getopt.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.hpp"
#include "tools/ctl/client.hpp"
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
    "  show session SID              one session (SID: its id or the start of it)\n"
    "  disconnect user NAME | id ID  end tunnels and their sessions (the cookie dies, as occtl's)\n"
    "  terminate user NAME | id ID | session SID\n"
    "                                the same; a session also without a tunnel\n"
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

// What a command line asks for, and how the reply is shown.
enum class Kind {
  Status,
  Users,
  UserDetails,
  Session,
  Sessions,
  Bans,
  BanPoints,
  Iroutes,
  Flows,
  Collector,
  Events,
  Disconnect,
  Terminate,
  Unban,
  Reload,
  Stop,
};

struct Command {
  Kind kind = Kind::Status;
  ctl::CtlRequest req;
  std::string what;  // disconnect, terminate: "user", "id" or "session"
  std::string arg;   // as typed: the user, id, session or address (occtl's messages repeat it)
};

bool parse_u64(const std::string& s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool starts(const std::vector<std::string>& w, std::initializer_list<const char*> words) {
  if (w.size() < words.size()) return false;
  size_t i = 0;
  for (const char* x : words)
    if (w[i++] != x) return false;
  return true;
}

// occtl's words for a command it does not know.
bool unknown(const std::vector<std::string>& w, std::string* error) {
  std::string line;
  for (const auto& x : w) line += (line.empty() ? "" : " ") + x;
  *error = "unknown command: " + line + "\nuse help or '?' to get a list of the available commands";
  return false;
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

// "show ...": false with `error` on a usage error.
bool parse_show(const std::vector<std::string>& w, long now, Command* c, std::string* error) {
  size_t n = w.size();
  auto& r = c->req;
  uint64_t id = 0;
  if (starts(w, {"show", "status"}) && n == 2) {
    c->kind = Kind::Status;
    r.set_status(true);
  } else if (starts(w, {"show", "users"}) && n == 2) {
    c->kind = Kind::Users;
    r.set_list_users(true);
  } else if (starts(w, {"show", "user"}) && n == 3) {
    c->kind = Kind::UserDetails;
    r.mutable_user_info()->set_user(w[2]);
  } else if (starts(w, {"show", "id"}) && n == 3 && parse_u64(w[2], &id)) {
    c->kind = Kind::UserDetails;
    r.mutable_user_info()->set_id(id);
  } else if (starts(w, {"show", "id"}) && n == 3) {
    *error = "'" + w[2] + "' is not a number";
    return false;
  } else if ((starts(w, {"show", "sessions"}) || starts(w, {"show", "cookies"})) && n <= 3) {
    // Every session sslvpnd lists may open a tunnel: "all" and "valid" list the same.
    if (n == 3 && w[2] != "all" && w[2] != "valid") {
      *error = "expected all or valid";
      return false;
    }
    c->kind = Kind::Sessions;
  } else if (starts(w, {"show", "session"}) && n == 3) {
    c->kind = Kind::Session;
    c->arg = w[2];
  } else if (starts(w, {"show", "ip", "bans"}) && n == 3) {
    c->kind = Kind::Bans;
    r.set_list_bans(true);
  } else if (starts(w, {"show", "ip", "ban", "points"}) && n == 4) {
    c->kind = Kind::BanPoints;
    r.set_list_ban_points(true);
  } else if (starts(w, {"show", "iroutes"}) && n == 2) {
    c->kind = Kind::Iroutes;
    r.set_list_users(true);
  } else if (starts(w, {"show", "flows"})) {
    c->kind = Kind::Flows;
    return parse_flow_filter(w, 2, now, r.mutable_show_flows(), error);
  } else if (starts(w, {"show", "collector"}) && n == 2) {
    c->kind = Kind::Collector;
    r.set_collector_status(true);
  } else if (starts(w, {"show", "events"}) && n == 2) {
    c->kind = Kind::Events;
  } else {
    return unknown(w, error);
  }
  return true;
}

bool parse_command(const std::vector<std::string>& w, long now, Command* c, std::string* error) {
  if (w[0] == "show") return parse_show(w, now, c, error);
  if (w[0] == "disconnect" || w[0] == "terminate") {
    bool terminate = w[0] == "terminate";
    ctl::Select* sel = terminate ? c->req.mutable_terminate() : c->req.mutable_disconnect();
    if (!parse_select(w, 1, terminate, sel, error)) return false;
    c->kind = terminate ? Kind::Terminate : Kind::Disconnect;
    c->what = w[1];
    c->arg = w[2];
  } else if (starts(w, {"stop", "now"}) && w.size() == 2) {
    c->kind = Kind::Stop;
    c->req.set_stop(true);
  } else if (starts(w, {"unban", "ip"}) && w.size() == 3) {
    c->kind = Kind::Unban;
    c->req.set_unban(w[2]);
    c->arg = w[2];
  } else if (starts(w, {"reload"}) && w.size() == 1) {
    c->kind = Kind::Reload;
    c->req.set_reload(true);
  } else {
    return unknown(w, error);
  }
  return true;
}

int fail(const std::string& error) {
  std::fprintf(stderr, "sslvpnctl: %s\n", error.c_str());
  return 1;
}

// occtl's "not found" (show user, show id, show session): its words on standard output (JSON:
// the server's on standard error), and exit status 2.
int not_found(const char* text, const std::string& error, bool json) {
  if (json)
    std::fprintf(stderr, "%s\n", error.c_str());
  else
    std::printf("%s\n", text);
  return 2;
}

// One request whose reply must be ok.
bool ask(Client& client, const ctl::CtlRequest& req, ctl::CtlReply* reply, std::string* error) {
  if (!client.call(req, reply, error)) return false;
  if (reply->ok()) return true;
  *error = reply->error();
  return false;
}

ctl::CtlRequest users_request() {
  ctl::CtlRequest r;
  r.set_list_users(true);
  return r;
}

ctl::CtlRequest sessions_request() {
  ctl::CtlRequest r;
  r.set_list_sessions(true);
  return r;
}

// show sessions: the text also needs the tunnels (the clients' addresses and user agents).
int show_sessions(Client& client, bool json, long now) {
  ctl::CtlReply sessions, users;
  std::string error;
  if (!ask(client, sessions_request(), &sessions, &error)) return fail(error);
  if (!json && !ask(client, users_request(), &users, &error)) return fail(error);
  std::string out = json ? sessions_json(sessions, now) : sessions_table(sessions, users, now);
  std::fputs(out.c_str(), stdout);
  return 0;
}

// show session SID, SID an id or the start of one (occtl lists 6 characters): text, occtl's
// session block; JSON, the session's tunnel as show user's (sslvpnd's stable JSON).
int show_session(Client& client, bool json, const std::string& sid, long now) {
  ctl::CtlReply sessions, users;
  std::string error;
  if (!ask(client, users_request(), &users, &error)) return fail(error);
  std::string out;
  if (json) {
    ctl::CtlReply picked;
    for (const auto& u : users.users())
      if (!sid.empty() && u.session().compare(0, sid.size(), sid) == 0) *picked.add_users() = u;
    if (picked.users_size() > 0) out = users_json(picked, now);
  } else {
    if (!ask(client, sessions_request(), &sessions, &error)) return fail(error);
    out = session_details(sessions, users, sid);
  }
  const char* none = "Session ID not found or expired";
  if (out.empty()) return not_found(none, none, json);
  std::fputs(out.c_str(), stdout);
  return 0;
}

// terminate session SID: the one session whose id starts with SID (as show session finds it).
bool resolve_session(Client& client, ctl::Select* sel, std::string* error) {
  const std::string& sid = sel->session();
  if (sid.empty()) return true;
  ctl::CtlReply sessions;
  if (!ask(client, sessions_request(), &sessions, error)) return false;
  std::vector<std::string> match;
  for (const auto& s : sessions.sessions())
    if (s.session().compare(0, sid.size(), sid) == 0) match.push_back(s.session());
  if (match.size() > 1) {
    *error =
        "session id '" + sid + "' is ambiguous: " + std::to_string(match.size()) + " sessions start with it";
    return false;
  }
  if (match.size() == 1) sel->set_session(match[0]);
  return true;
}

// unban ip: occtl's check of the address (an IPv6 /64 as show ip bans prints it is fine too).
bool valid_ip(const std::string& ip) {
  std::string a = ip.substr(0, ip.find('/'));
  unsigned char buf[16];
  return ::inet_pton(a.find(':') != std::string::npos ? AF_INET6 : AF_INET, a.c_str(), buf) == 1;
}

// occtl's words after an action: {done, not done}.
std::pair<std::string, std::string> action_words(const Command& c) {
  const std::string& a = c.arg;
  bool user = c.what == "user", id = c.what == "id";
  switch (c.kind) {
    case Kind::Disconnect:
      if (user) return {"user '" + a + "' was disconnected", "could not disconnect user '" + a + "'"};
      return {"connection ID '" + a + "' was disconnected", "could not disconnect ID '" + a + "'"};
    case Kind::Terminate:  // not occtl's: its words for disconnect
      if (user) return {"user '" + a + "' was terminated", "could not terminate user '" + a + "'"};
      if (id) return {"connection ID '" + a + "' was terminated", "could not terminate ID '" + a + "'"};
      return {"session '" + a + "' was terminated", "could not terminate session '" + a + "'"};
    case Kind::Unban:
      return {"IP '" + a + "' was unbanned", "could not unban IP '" + a + "'"};
    case Kind::Reload:
      return {"Server scheduled to reload", "Error scheduling reload"};
    case Kind::Stop:
      return {"Server scheduled to stop", "Error scheduling server stop"};
    default:
      return {"", ""};
  }
}

bool is_action(Kind k) {
  return k == Kind::Disconnect || k == Kind::Terminate || k == Kind::Unban || k == Kind::Reload ||
         k == Kind::Stop;
}

// After an action: occtl's line on standard output, exit status 0 when done and 1 when not.
// reload also prints that the configuration was reloaded (sslvpnd does it before it answers)
// and the settings that wait for a restart; a refused file's error goes to standard error.
int report_action(const Command& c, const ctl::CtlReply& reply, bool json) {
  std::vector<std::string> notes(reply.notes().begin(), reply.notes().end());
  if (json) {
    if (!reply.ok()) return std::fprintf(stderr, "%s\n", reply.error().c_str()), 1;
    JsonWriter j;
    j.begin_object().field("ok", true);
    if (c.kind == Kind::Reload)
      j.field("notes", notes);
    else
      j.field("affected", reply.affected());
    j.end_object();
    std::printf("%s\n", j.str().c_str());
    return 0;
  }
  auto [done, not_done] = action_words(c);
  if (!reply.ok()) {
    std::printf("%s\n", not_done.c_str());
    if (c.kind == Kind::Reload) std::fprintf(stderr, "%s\n", reply.error().c_str());
    return 1;
  }
  std::printf("%s\n", done.c_str());
  if (c.kind == Kind::Reload) std::printf("configuration reloaded\n");
  for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  return 0;
}

std::string details_text(const ctl::CtlReply& r, long now) {
  std::string out;
  for (int i = 0; i < r.users_size(); ++i) out += (i ? "\n" : "") + user_details(r.users(i), now);
  return out;
}

std::string render(const Command& c, const ctl::CtlReply& r, const Options& o, long now) {
  bool j = o.json;
  switch (c.kind) {
    case Kind::Status:
      return j ? status_json(r.status(), now) : status_text(r.status(), now);
    case Kind::Users:
      return j ? users_json(r, now) : users_table(r, now);
    case Kind::UserDetails:
      return j ? users_json(r, now) : details_text(r, now);
    case Kind::Bans:
      return j ? bans_json(r, now) : bans_table(r, now, false);
    case Kind::BanPoints:
      return j ? bans_json(r, now) : bans_table(r, now, true);
    case Kind::Iroutes:
      return j ? iroutes_json(r) : iroutes_table(r);
    case Kind::Flows:
      return o.jsonl ? flows_jsonl(r) : j ? flows_json(r) : flows_table(r);
    case Kind::Collector:
      return j ? collector_json(r.collector()) : collector_text(r.collector(), now);
    default:
      return std::string();
  }
}

int execute(Client& client, const Options& o, Command& c, long now) {
  std::string error;
  if (c.kind == Kind::Events) return watch_events(client, o.json);
  if (c.kind == Kind::Sessions) return show_sessions(client, o.json, now);
  if (c.kind == Kind::Session) return show_session(client, o.json, c.arg, now);
  if (c.kind == Kind::Unban && !valid_ip(c.arg))
    return std::fprintf(stderr, "Cannot parse IP: %s\n", c.arg.c_str()), 1;
  if (c.kind == Kind::Terminate && c.req.terminate().has_session() &&
      !resolve_session(client, c.req.mutable_terminate(), &error))
    return fail(error);
  ctl::CtlReply reply;
  if (!client.call(c.req, &reply, &error)) return fail(error);
  if (is_action(c.kind)) return report_action(c, reply, o.json);
  if (!reply.ok()) {
    if (c.kind == Kind::UserDetails) return not_found("user or ID not found", reply.error(), o.json);
    std::fprintf(stderr, "%s\n", reply.error().c_str());
    return 1;
  }
  std::fputs(render(c, reply, o, now).c_str(), stdout);
  return 0;
}

// Runs one command line; returns the exit status (0 ok, 1 failed, 2 usage or not found).
int run_words(Client& client, const Options& o, const std::vector<std::string>& w) {
  if (w.empty()) return 0;
  if (w[0] == "help" || w[0] == "?") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  long now = static_cast<long>(std::time(nullptr));
  Command c;
  std::string error;
  if (!parse_command(w, now, &c, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  return execute(client, o, c, now);
}

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
