#include "main/openvpn_mgmt.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <charconv>
#include <vector>

#include "common/secret_bytes.hpp"
#include "common/text.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr const char* kCrlf = "\r\n";

std::string say(const std::string& line) {
  return line + kCrlf;
}

// Multi-line text (LF or CRLF) with CRLF line ends, as the interface sends everything.
std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

// A client's text inside an answer: no line breaks or other control characters.
std::string printable(std::string_view s) {
  return replace_control_chars(std::string(s.substr(0, 256)), '?');
}

bool parse_u64(std::string_view s, uint64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

const char* kHelp[] = {"Management Interface for sslvpnd (openvpn's commands a server answers)",
                       "Commands:",
                       "client-kill cid [msg] : Disconnect the client with this client ID.",
                       "exit|quit             : Close the management session.",
                       "help                  : Print this message.",
                       "hold [on|off|release] : Accepted; the server never holds.",
                       "kill cn               : Disconnect the clients with common name cn.",
                       "kill proto:IP:port    : Disconnect the client at this real address.",
                       "load-stats            : Show global server load stats.",
                       "pid                   : Show the process ID of the server.",
                       "state                 : Show the server's state.",
                       "status [n]            : Show the client list (n: status format version 1, 2 or 3).",
                       "version               : Show the version.",
                       "END"};

}  // namespace

ManagementSession::ManagementSession(const ManagementBackend& backend, std::string password)
    : b_(backend), password_(std::move(password)), verified_(password_.empty()) {}

ManagementSession::~ManagementSession() {
  wipe_string(password_);
}

std::string ManagementSession::greeting() {
  if (!verified_) return "ENTER PASSWORD:";
  return say(">INFO:OpenVPN Management Interface Version " + std::to_string(kManagementVersion) +
             " -- type 'help' for more info");
}

std::string ManagementSession::line(std::string_view text) {
  if (closing_) return {};
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (verified_) return command(text);
  // The password: their SHA-256 digests compared, in time that depends neither on where they
  // differ nor on the password's length.
  uint8_t got[32], want[32];
  bool ok = gnutls_hash_fast(GNUTLS_DIG_SHA256, text.data(), text.size(), got) == 0 &&
            gnutls_hash_fast(GNUTLS_DIG_SHA256, password_.data(), password_.size(), want) == 0 &&
            gnutls_memcmp(got, want, sizeof got) == 0;
  secure_wipe(want, sizeof want);
  if (ok) {
    verified_ = true;
    return say("SUCCESS: password is correct") + greeting();
  }
  if (++tries_ >= kManagementPasswordTries) closing_ = true;
  return say("ERROR: bad password") + (closing_ ? std::string() : "ENTER PASSWORD:");
}

std::string ManagementSession::command(std::string_view text) {
  std::vector<std::string> w;
  if (!openvpn_words(text, w)) return say("ERROR: unterminated quote");
  if (w.empty()) return {};
  const std::string& c = w[0];
  if (c == "quit" || c == "exit") {
    closing_ = true;
    return {};
  }
  if (c == "help") {
    std::string out;
    for (const char* l : kHelp) out += say(l);
    return out;
  }
  if (c == "version" && w.size() == 1)
    return say("OpenVPN Version: " + b_.version_title) +
           say("Management Version: " + std::to_string(kManagementVersion)) + say("END");
  if (c == "version") return say("SUCCESS: Management client version set to " + printable(w[1]));
  if (c == "pid") return say("SUCCESS: pid=" + std::to_string(b_.pid));
  if (c == "load-stats") return say("SUCCESS: " + b_.load_stats());
  if (c == "state" && w.size() == 1) return crlf(b_.state()) + say("END");
  if (c == "status") {
    uint64_t v = 1;
    if (w.size() > 1 && (!parse_u64(w[1], &v) || v > 3)) v = 1;
    return crlf(b_.status(v == 0 ? 1 : static_cast<int>(v)));
  }
  if (c == "kill" && w.size() == 2 && !w[1].empty()) return kill(w[1]);
  if (c == "kill" && w.size() == 2) return say("ERROR: kill parse");
  if (c == "client-kill" && w.size() >= 2) {
    uint64_t cid = 0;
    if (!parse_u64(w[1], &cid)) return say("ERROR: cid must be an integer");
    bool halt = w.size() > 2 && w[2].starts_with("HALT");
    if (!b_.kill_cid(cid, halt)) return say("ERROR: client-kill command failed");
    return say("SUCCESS: client-kill command succeeded");
  }
  if (c == "hold")
    return say(w.size() == 1 ? "SUCCESS: hold=0" : "SUCCESS: hold " + printable(w[1]) + " succeeded");
  if (c == "kill" || c == "client-kill") return say("ERROR: the '" + c + "' command needs an argument");
  return say("ERROR: unknown command [" + printable(c) + "], enter 'help' for more options");
}

// kill CN, or kill tcp|udp:IP:port (openvpn's forms).
std::string ManagementSession::kill(const std::string& victim) {
  size_t a = victim.find(':');
  if (a != std::string::npos && (victim.starts_with("tcp:") || victim.starts_with("udp:"))) {
    size_t p = victim.rfind(':');
    std::string ip = victim.substr(a + 1, p - a - 1);
    uint64_t port = 0;
    if (p == a || !parse_u64(std::string_view(victim).substr(p + 1), &port) || port == 0 || port > 65535)
      return say("ERROR: port number or protocol out of range: " + printable(victim));
    bool tcp = victim.starts_with("tcp:");
    uint32_t n = b_.kill_addr(ip, static_cast<uint16_t>(port), tcp);
    std::string where = std::string(tcp ? "tcp" : "udp") + ":" + printable(ip) + ":" + std::to_string(port);
    if (n == 0) return say("ERROR: client at address " + where + " not found");
    return say("SUCCESS: " + std::to_string(n) + " client(s) at address " + where + " killed");
  }
  uint32_t n = b_.kill_cn(victim);
  if (n == 0) return say("ERROR: common name '" + printable(victim) + "' not found");
  return say("SUCCESS: common name '" + printable(victim) + "' found, " + std::to_string(n) +
             " client(s) killed");
}

}  // namespace sslvpn::mainproc
