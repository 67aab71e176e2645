// sslvpnd-ovpn-key import: what the handlers gathered (import_state.hpp), and the state's own
// bookkeeping (settings, paths, pushes, the password check). import_write.cpp writes it out.
#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "tools/ovpn-key/import_state.hpp"

namespace sslvpn::ovpnkey {

std::string import_where(const Src& src) {
  return src.line ? "line " + std::to_string(src.line) + ": " + src.raw : std::string("openvpn's default");
}

namespace {

// openvpn 2.6's "dns server N address" forms: 10.0.0.1, 10.0.0.1:53, fd00::1, [fd00::1]:53.
std::optional<IpAddr> dns_address(const std::string& w) {
  if (w.starts_with("[")) return parse_ip(w.substr(1, w.find(']') - 1));
  if (w.find('.') != std::string::npos) return parse_ip(w.substr(0, w.find(':')));
  return parse_ip(w);
}

}  // namespace

void ImportState::set(const std::string& key, const std::string& value, const Src& src,
                      const std::string& note) {
  std::erase_if(settings, [&](const Setting& s) { return s.key == key; });  // openvpn: the last one wins
  settings.push_back({key, value, src, note});
}
void ImportState::set_path(const std::string& key, const std::string& raw, const Src& src, PathKind kind,
                           const std::string& note, const std::string& suffix) {
  set(key, raw, src, note);
  settings.back().path = kind;
  settings.back().suffix = suffix;
}
void ImportState::warn(const Src& src, const std::string& why) {
  warnings.push_back(import_where(src) + ": " + why);
}
void ImportState::weaken(const Src& src, const std::string& why) {
  warn(src, why);
  weakened.push_back(warnings.back());
}
void ImportState::note(const Src& src, const std::string& why) {
  notes.push_back(import_where(src) + ": " + why);
}
void ImportState::fatal(const Src& src, const std::string& why) {
  if (error.empty()) error = (src.line ? import_where(src) + ": " : std::string()) + why;
}

std::string ImportState::path(const std::string& p) const {
  if (p.starts_with("/") || base_dir.empty()) return p;
  return base_dir + (base_dir.ends_with("/") ? "" : "/") + p;
}

std::string ImportState::inline_path(const std::string& suffix, const std::string& text, const Src& src) {
  if (args.out.empty()) {
    fatal(src, "inline files (<ca>, <key>...) need an output file (-o FILE) to be written beside");
    return "";
  }
  std::string stem = args.out;
  if (stem.ends_with(".conf")) stem.resize(stem.size() - 5);
  std::string p = stem + "-" + suffix;
  std::erase_if(files, [&](const ImportedFile& f) { return f.path == p; });
  files.push_back({p, text});
  return p;
}

void ImportState::push(const std::string& option, const Src& src) {
  std::vector<std::string> w;
  if (!openvpn_words(option, w) || w.empty()) return warn(src, "not an option; not carried over");
  if (w[0] == "dns") return dns(w, src);
  if (w[0] == "redirect-gateway" && std::find(w.begin(), w.end(), "block-local") != w.end())
    warn(src, "'block-local' is not applied: clients still reach their local network");
  pushes.push_back(option);
  push_srcs.push_back(src);
}

void ImportState::dns(const std::vector<std::string>& w, const Src& src) {
  if (w.size() >= 5 && w[1] == "server" && w[3] == "address") {
    for (size_t i = 4; i < w.size(); ++i) {
      auto a = dns_address(w[i]);
      if (!a) {
        warn(src, "'" + w[i] + "' is not an address; not carried over");
        continue;
      }
      dns_servers.push_back(*a);
      // A port: "[v6]:PORT" or "v4:PORT".
      size_t colon = w[i].starts_with("[")                 ? w[i].find("]:") + 1
                     : w[i].find('.') != std::string::npos ? w[i].find(':')
                                                           : std::string::npos;
      if (colon != std::string::npos && colon != 0 && w[i].substr(colon + 1) != "53")
        warn(src, "'" + w[i] + "': clients are sent the address alone (port 53)");
    }
  } else if (w.size() >= 3 && w[1] == "search-domains") {
    for (size_t i = 2; i < w.size(); ++i) {
      bool name = !w[i].empty() && w[i].size() <= 253 && std::all_of(w[i].begin(), w[i].end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
      if (name)
        search_domains.push_back(w[i]);
      else
        warn(src, "'" + w[i] + "' is not a domain name; not carried over");
    }
  } else {
    return warn(src, "not carried over (sslvpnd takes 'dns server N address' and 'dns search-domains')");
  }
  push_srcs.push_back(src);
}

void ImportState::set_password(const std::string& method, const Src& src, const std::string& why) {
  password = true;
  if (!method.empty() && password_why.empty()) {
    password_method = method;
    password_src = src;
    return;
  }
  if (!method.empty()) return;
  password_method = std::string("plain[passwd=") + kImportPasswordFile + "]";
  password_src = src;
  password_why = why;
}

}  // namespace sslvpn::ovpnkey
