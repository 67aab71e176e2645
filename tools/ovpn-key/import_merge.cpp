// sslvpnd-ovpn-key import A.conf B.conf: two openvpn servers of one VPN, one on UDP and one on
// TCP (openvpn runs an instance per transport), as one sslvpnd.conf. Each is imported on its own;
// the two results are then compared setting by setting (import.hpp, merge_imports).
#include <algorithm>
#include <map>

#include "common/ip_addr.hpp"
#include "common/secret_bytes.hpp"
#include "tools/ovpn-key/import.hpp"
#include "tools/ovpn-key/import_state.hpp"

namespace sslvpn::ovpnkey {
namespace {

struct Line {
  std::string key, value;
  std::vector<std::string> comments;  // the "# ..." lines just above it
};

std::vector<Line> lines_of(const std::string& body) {
  std::vector<Line> out;
  std::vector<std::string> comments;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    std::string l = body.substr(at, end - at);
    at = end + 1;
    if (l.empty()) {
      comments.clear();
    } else if (l.starts_with("#")) {
      comments.push_back(l);
    } else if (size_t eq = l.find(" = "); eq != std::string::npos) {
      out.push_back({l.substr(0, eq), l.substr(eq + 3), std::move(comments)});
      comments.clear();
    }
  }
  return out;
}

const Line* find(const std::vector<Line>& ls, const std::string& key) {
  auto it = std::find_if(ls.begin(), ls.end(), [&](const Line& l) { return l.key == key; });
  return it == ls.end() ? nullptr : &*it;
}

std::string value_of(const std::vector<Line>& ls, const std::string& key) {
  const Line* l = find(ls, key);
  return l ? l->value : "";
}

// A line of the second file, written into the first's output: its comments name their file.
std::string block_of(const Line& l, const std::string& name) {
  std::string t;
  for (const auto& c : l.comments) t += "# " + name + ", " + c.substr(c.starts_with("# ") ? 2 : 1) + "\n";
  return t + l.key + " = " + l.value + "\n\n";
}

bool port_key(const std::string& k) {
  return k == "openvpn-udp-port" || k == "openvpn-tcp-port";
}

// Settings each openvpn instance had its own of: the first's is kept (the second's named).
bool first_wins(const std::string& k) {
  return k == "ipv4-network" || k == "ipv6-network" || k == "openvpn-status" || k == "openvpn-management";
}

struct Merge {
  const std::string &a_name, &b_name;
  std::vector<Line> a, b;
  std::string error;
  std::vector<std::string> warnings;
  std::string added;  // the second's lines the output gains

  std::string transport_of(const std::vector<Line>& ls) {
    return find(ls, "openvpn-tcp-port") ? "TCP" : "UDP";
  }

  bool check_ports() {
    std::string ta = transport_of(a), tb = transport_of(b);
    if (ta == tb) {
      error = "both serve OpenVPN over " + ta + ": sslvpnd has one " + ta +
              " port for OpenVPN; import them one at a time, into two configurations";
      return false;
    }
    for (const auto& l : b)
      if (port_key(l.key)) added += block_of(l, b_name);
    return true;
  }

  // The second's own network in its routes stands for the pool its clients now lease from, and
  // its server address (the network's first, as a DNS server) for the first's.
  void own_network() {
    for (const char* k : {"ipv4-network", "ipv6-network"}) {
      auto from = parse_ip_net(value_of(b, k)), to = parse_ip_net(value_of(a, k));
      if (!from || !to) continue;
      std::string from_host = net_host(*from, 1).to_string(), to_host = net_host(*to, 1).to_string();
      for (auto& l : b) {
        if ((l.key == "route" || l.key == "no-route") && l.value == from->to_string())
          l.value = to->to_string();
        if ((l.key == "dns" || l.key == "nbns") && l.value == from_host) l.value = to_host;
      }
    }
  }

  void kept_from_first(const std::string& key) {
    const Line* lb = find(b, key);
    const Line* la = find(a, key);
    if (!lb) return;
    if (!la) {
      added += block_of(*lb, b_name);
      return;
    }
    if (la->value == lb->value) return;
    std::string why = key == "ipv4-network" || key == "ipv6-network"
                          ? "its clients lease addresses from " + a_name + "'s pool (" + la->value +
                                "); a client-config-dir address outside it is refused"
                          : a_name + "'s is kept (" + la->value + "), for both transports";
    warnings.push_back(b_name + ": " + key + " " + lb->value + ": " + why);
  }

  // The status file's format goes with the status file kept: the first's, else the second's.
  void status_version() {
    const std::string k = "openvpn-status-version";
    if (find(a, "openvpn-status")) return;  // the first's (its line, or the default)
    if (!find(b, "openvpn-status")) return compare(k);
    if (const Line* lb = find(b, k); lb && !find(a, k)) added += block_of(*lb, b_name);
  }

  // Every other key: the same values (in any order), or no single configuration can serve both.
  void compare(const std::string& key) {
    std::vector<std::string> va, vb;
    for (const auto& l : a)
      if (l.key == key) va.push_back(l.value);
    for (const auto& l : b)
      if (l.key == key) vb.push_back(l.value);
    std::sort(va.begin(), va.end());
    std::sort(vb.begin(), vb.end());
    if (va == vb || !error.empty()) return;
    auto list = [](const std::vector<std::string>& v) {
      std::string t;
      for (const auto& x : v) t += (t.empty() ? "'" : ", '") + x + "'";
      return t.empty() ? std::string("none") : t;
    };
    error = "the two servers differ in " + key + " (" + a_name + ": " + list(va) + "; " + b_name + ": " +
            list(vb) + "): one sslvpnd.conf serves both transports with one value. Make them agree, or " +
            "import them one at a time, into two configurations";
  }
};

// openvpn's max-clients is per instance: the sum (openvpn's default, 1024, for one without it).
std::string rewrite_max_clients(const std::string& body, const std::vector<Line>& a,
                                const std::vector<Line>& b) {
  std::string va = value_of(a, "max-clients"), vb = value_of(b, "max-clients");
  if (va.empty() && vb.empty()) return body;
  // Values the import checked (1..2^24); 0 is sslvpnd's "no limit", and stays so.
  unsigned long a_n = std::stoul(va.empty() ? "1024" : va), b_n = std::stoul(vb.empty() ? "1024" : vb);
  unsigned long sum = a_n == 0 || b_n == 0 ? 0 : std::min(a_n + b_n, 1ul << 24);
  std::string line = "max-clients = " + std::to_string(sum);
  if (va.empty()) return body + "# max-clients of both openvpn servers together\n" + line + "\n\n";
  std::string old = "\nmax-clients = " + va + "\n";
  std::string out = "\n" + body;
  size_t at = out.find(old);
  if (at != std::string::npos)
    out.replace(at, old.size(), "\n# with the other openvpn server's, together\n" + line + "\n");
  return out.substr(1);
}

// Two lists of remarks, each named by its file; one both made is listed once, unnamed.
std::vector<std::string> both_named(const std::vector<std::string>& a, const std::string& a_name,
                                    const std::vector<std::string>& b, const std::string& b_name) {
  auto in = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::vector<std::string> out;
  for (const auto& x : a) out.push_back(in(b, x) ? x : a_name + ": " + x);
  for (const auto& x : b)
    if (!in(a, x)) out.push_back(b_name + ": " + x);
  return out;
}

}  // namespace

Result<ImportResult> merge_imports(ImportResult first, const std::string& first_name, ImportResult second,
                                   const std::string& second_name, std::string* error) {
  Merge m{first_name, second_name, lines_of(first.body), lines_of(second.body), "", {}, ""};
  auto fail = [&](const std::string& why) -> Result<ImportResult> {
    for (auto* files : {&first.files, &second.files})  // <key>, <tls-crypt>... blocks
      for (auto& f : *files) wipe_string(f.text);
    if (error) *error = why;
    return Errc::Malformed;
  };
  if (!m.check_ports()) return fail(m.error);
  if (value_of(m.a, "ipv6-network").empty() != value_of(m.b, "ipv6-network").empty())
    return fail(
        "only one of the two servers has an IPv6 pool (server-ipv6): its clients would gain or lose "
        "IPv6; make them agree, or import them one at a time, into two configurations");
  m.own_network();
  std::vector<std::string> keys;
  for (const auto* side : {&m.a, &m.b})
    for (const auto& l : *side)
      if (std::find(keys.begin(), keys.end(), l.key) == keys.end()) keys.push_back(l.key);
  for (const auto& k : keys) {
    if (port_key(k) || k == "max-clients") continue;
    if (k == "openvpn-status-version")
      m.status_version();
    else if (first_wins(k))
      m.kept_from_first(k);
    else
      m.compare(k);
  }
  if (!m.error.empty()) return fail(m.error);
  for (auto& f : second.files) {
    auto same =
        std::find_if(first.files.begin(), first.files.end(), [&](const auto& x) { return x.path == f.path; });
    if (same == first.files.end()) {
      first.files.push_back(std::move(f));
    } else if (same->text != f.text) {
      return fail("both have an inline file written to '" + f.path + "', with different contents");
    } else {
      wipe_string(f.text);
    }
  }
  ImportResult r;
  r.body = rewrite_max_clients(first.body, m.a, m.b) + m.added;
  r.notes = both_named(first.notes, first_name, second.notes, second_name);
  r.warnings = both_named(first.warnings, first_name, second.warnings, second_name);
  r.warnings.insert(r.warnings.end(), m.warnings.begin(), m.warnings.end());
  r.weakened = both_named(first.weakened, first_name, second.weakened, second_name);
  r.files = std::move(first.files);
  r.config = import_header({first_name, second_name}) + r.body + import_tail(r.notes, r.warnings);
  return r;
}

}  // namespace sslvpn::ovpnkey
