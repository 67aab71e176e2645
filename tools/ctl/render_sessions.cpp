// sslvpnctl's session (cookie) and ban lists, in occtl's layout (ocserv's src/occtl/unix.c:
// session_list, session_info_cmd, handle_list_banned_cmd) and JSON.
#include <string>

#include "common/json_writer.hpp"
#include "tools/ctl/render.hpp"

namespace sslvpn::ctltool {
namespace {

constexpr const char* kUnknown = "(unknown)";

// The tunnel a session has now (from a list_users reply), for its client's address and user
// agent, which sslvpnd keeps with the tunnel; nullptr without one.
const ctl::UserRow* tunnel_of(const ctl::SessionRow& s, const ctl::CtlReply& users) {
  if (s.tunnel_id() == 0) return nullptr;
  for (const auto& u : users.users())
    if (u.id() == s.tunnel_id()) return &u;
  return nullptr;
}

// occtl's session_info_cmd block; every session sslvpnd lists may open a tunnel, so each is
// "authenticated" (ocserv's state for a valid session, in use or not).
std::string session_block(const ctl::SessionRow& s, const ctl::UserRow* t) {
  Block b;
  b.single("Session", short_session(s.session()));
  b.single("Full session ID", s.session());
  b.pair("Created", human_time(s.created()), "Expires", std::string());
  b.single("State", "authenticated");
  b.pair("Username", or_none(s.username()), "Groupname", or_none(s.groupname()));
  b.pair("vhost", vhost_or_default(s.vhost()), "User-Agent", t != nullptr ? t->user_agent() : std::string());
  if (t != nullptr && !t->remote_ip().empty()) b.pair("Remote IP", t->remote_ip(), "Location", "unknown");
  bool in_use = s.state() == "connected";
  bool activated = s.state() != "authenticated";  // it has had a tunnel
  b.pair("In use", in_use ? "True" : "False", "Activated", activated ? "True" : "False");
  // sslvpnd's own, after occtl's fields: the tunnel (for show id), the leases, the protocol.
  if (s.tunnel_id() != 0) b.single("ID", std::to_string(s.tunnel_id()));
  b.single("IPv4", s.ipv4());
  b.single("IPv6", s.ipv6());
  b.single("Protocol", s.protocol());
  return b.str();
}

}  // namespace

// occtl's session_list: "%6s %8s %8s %14s %24s %8s %8s" for the header; the session id cut to
// 6 characters and the user agent to 24, both unpadded, as occtl's "%.6s" and "%.24s".
std::string sessions_table(const ctl::CtlReply& r, const ctl::CtlReply& users, long now) {
  std::string out;
  for (const auto& s : r.sessions()) {
    if (out.empty())
      out = columns({{"session", 6},
                     {"user", 8},
                     {"vhost", 8},
                     {"ip", 14},
                     {"user agent", 24},
                     {"created", 8},
                     {"status", 8}}) +
            "\n";
    const ctl::UserRow* t = tunnel_of(s, users);
    std::string agent = t != nullptr ? t->user_agent() : std::string(kUnknown);
    out += columns({{short_session(s.session()), 0},
                    {or_none(s.username()), 8},
                    {vhost_or_default(s.vhost()), 8},
                    {t != nullptr ? t->remote_ip() : std::string(kUnknown), 14},
                    {agent.substr(0, 24), 0},
                    {ival7(now - s.created()), 8},
                    {"authenticated", 8}}) +
           "\n";
  }
  return out;
}

// occtl's handle_show_session_cmd: the sessions whose id starts with `sid`, an empty line apart.
std::string session_details(const ctl::CtlReply& r, const ctl::CtlReply& users, const std::string& sid) {
  std::string out;
  for (const auto& s : r.sessions()) {
    if (sid.empty() || s.session().compare(0, sid.size(), sid) != 0) continue;
    out += (out.empty() ? "" : "\n") + session_block(s, tunnel_of(s, users));
  }
  return out;
}

std::string sessions_json(const ctl::CtlReply& r, long now) {
  JsonWriter j;
  j.begin_array();
  for (const auto& s : r.sessions())
    j.begin_object()
        .field("Session", s.session())
        .field("Full session", s.session())
        .field("Username", s.username())
        .field("Groupname", s.groupname())
        .field("vhost", vhost_or_default(s.vhost()))
        .field("IPv4", s.ipv4())
        .field("IPv6", s.ipv6())
        .field("Created", human_time(s.created()))
        .field("_Created", human_duration(now - s.created()))
        .field("raw_created", static_cast<int64_t>(s.created()))
        .field("State", s.state())
        .field("In use", s.state() == "connected")
        .field("in_use", static_cast<uint32_t>(s.state() == "connected" ? 1 : 0))
        .field("ID", s.tunnel_id())
        .field("Protocol", s.protocol())
        .end_object();
  j.end_array();
  return j.str() + "\n";
}

// occtl's handle_list_banned_cmd: "%14s %14s %30s" (IP, score, when the ban ends and the time
// left) for banned addresses; "%14s %14s" (IP, score) for ban points. No header without rows.
std::string bans_table(const ctl::CtlReply& r, long now, bool points) {
  std::string out;
  for (const auto& b : r.bans()) {
    if (!points && b.banned_until() == 0) continue;
    if (out.empty())
      out = (points ? columns({{"IP", 14}, {"score", 14}})
                    : columns({{"IP", 14}, {"score", 14}, {"expires", 30}})) +
            "\n";
    if (points)
      out += columns({{b.ip(), 14}, {std::to_string(b.score()), 14}}) + "\n";
    else
      out += columns({{b.ip(), 14}, {std::to_string(b.score()), 14}, {human_time(b.banned_until()), 30}}) +
             " (" + ival7(b.banned_until() - now) + ")\n";
  }
  return out;
}

std::string bans_json(const ctl::CtlReply& r, long now) {
  JsonWriter j;
  j.begin_array();
  for (const auto& b : r.bans()) {
    j.begin_object().field("IP", b.ip()).field("Score", b.score()).field("Banned", b.banned_until() != 0);
    if (b.banned_until()) {
      // occtl names the end of the ban "Since".
      j.field("Until", human_time(b.banned_until()))
          .field("_Until", human_duration(b.banned_until() - now))
          .field("raw_until", static_cast<int64_t>(b.banned_until()))
          .field("Since", human_time(b.banned_until()))
          .field("_Since", human_duration(b.banned_until() - now));
    }
    j.end_object();
  }
  j.end_array();
  return j.str() + "\n";
}

}  // namespace sslvpn::ctltool
