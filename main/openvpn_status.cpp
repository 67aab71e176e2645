#include "main/openvpn_status.hpp"

namespace sslvpn::mainproc {
namespace {

// openvpn's time_string: local time, "YYYY-MM-DD HH:MM:SS".
std::string time_text(time_t t) {
  struct tm tm {};
  char buf[32] = "";
  if (::localtime_r(&t, &tm) != nullptr) ::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// A value as one field: no separator of either format, no line break, no control character.
std::string field(const std::string& v) {
  std::string out = v;
  for (char& c : out)
    if (c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  return out;
}

struct Lines {
  char sep;
  std::string text;
  // A record of fields, separated.
  template <class... T>
  void row(const T&... f) {
    bool first = true;
    ((text += (first ? "" : std::string(1, sep)), text += f, first = false), ...);
    text += '\n';
  }
};

std::vector<std::string> route_addresses(const StatusClient& c) {
  std::vector<std::string> r;
  if (!c.vip4.empty()) r.push_back(c.vip4);
  if (!c.vip6.empty()) r.push_back(c.vip6);
  r.insert(r.end(), c.iroutes.begin(), c.iroutes.end());
  return r;
}

std::string version1(const std::vector<StatusClient>& clients, time_t now) {
  Lines l{',', ""};
  l.row("OpenVPN CLIENT LIST");
  l.row("Updated", time_text(now));
  l.row("Common Name", "Real Address", "Bytes Received", "Bytes Sent", "Connected Since");
  for (const auto& c : clients)
    l.row(field(c.common_name), field(c.real), std::to_string(c.bytes_received), std::to_string(c.bytes_sent),
          time_text(c.connected_since));
  l.row("ROUTING TABLE");
  l.row("Virtual Address", "Common Name", "Real Address", "Last Ref");
  for (const auto& c : clients)
    for (const auto& a : route_addresses(c))
      l.row(field(a), field(c.common_name), field(c.real), time_text(now));
  l.row("GLOBAL STATS");
  l.row("Max bcast/mcast queue length", "0");
  l.row("END");
  return l.text;
}

std::string version23(const std::vector<StatusClient>& clients, time_t now, char sep,
                      const std::string& title) {
  Lines l{sep, ""};
  const std::string t = std::to_string(static_cast<unsigned>(now));
  l.row("TITLE", field(title));
  l.row("TIME", time_text(now), t);
  l.row("HEADER", "CLIENT_LIST", "Common Name", "Real Address", "Virtual Address", "Virtual IPv6 Address",
        "Bytes Received", "Bytes Sent", "Connected Since", "Connected Since (time_t)", "Username",
        "Client ID", "Peer ID", "Data Channel Cipher");
  for (const auto& c : clients)
    l.row("CLIENT_LIST", field(c.common_name), field(c.real), field(c.vip4), field(c.vip6),
          std::to_string(c.bytes_received), std::to_string(c.bytes_sent), time_text(c.connected_since),
          std::to_string(static_cast<unsigned>(c.connected_since)), field(c.username),
          std::to_string(c.client_id), std::to_string(c.peer_id), field(c.cipher));
  l.row("HEADER", "ROUTING_TABLE", "Virtual Address", "Common Name", "Real Address", "Last Ref",
        "Last Ref (time_t)");
  for (const auto& c : clients)
    for (const auto& a : route_addresses(c))
      l.row("ROUTING_TABLE", field(a), field(c.common_name), field(c.real), time_text(now), t);
  l.row("GLOBAL_STATS", "Max bcast/mcast queue length", "0");
  l.row("GLOBAL_STATS", "dco_enabled", "0");
  l.row("END");
  return l.text;
}

}  // namespace

std::string format_openvpn_status(const std::vector<StatusClient>& clients, time_t now, int version,
                                  const std::string& title) {
  if (version == 1) return version1(clients, now);
  return version23(clients, now, version == 3 ? '\t' : ',', title);
}

std::string status_real_address(const std::string& ip, uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace sslvpn::mainproc
