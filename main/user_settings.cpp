#include "main/user_settings.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <optional>
#include <set>
#include <unordered_set>

#include "common/text.hpp"
#include "common/user_config.hpp"
#include "main/connect_output.hpp"

namespace sslvpn::mainproc {
namespace {

// Merges the file for `name` in `dir`, else `fallback` (either may be unset or missing). Each
// file is read once.
bool apply_file(const std::string& dir, const std::string& name, const std::string& fallback,
                ipc::UserSettings& into, std::string* error) {
  std::string path;
  std::optional<std::string> text;
  if (!dir.empty() && safe_config_name(name)) {
    path = dir + "/" + name;
    text = read_file(path);
  }
  if (!text && !fallback.empty()) {
    path = fallback;
    text = read_file(path);
  }
  if (!text) return true;
  try {
    merge_user_settings(into, parse_user_config(*text, path, nullptr));
    return true;
  } catch (const ConfigError& e) {
    *error = e.what();
    return false;
  }
}

void check_file(const std::string& path, std::vector<std::string>& out) {
  auto text = read_file(path);
  if (!text) return;
  std::vector<ConfigWarning> warnings;  // those before an error too
  std::string error;
  try {
    (void)parse_user_config(*text, path, &warnings);
  } catch (const ConfigError& e) {
    error = std::string("error: ") + e.what() + " (that user's or group's tunnels would be refused)";
  }
  for (const auto& w : warnings)
    out.push_back("warning: " + path + ":" + std::to_string(w.line) + ": " + w.text);
  if (!error.empty()) out.push_back(std::move(error));
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// An openvpn-client-config-dir file, as a session would read it.
void check_ccd_file(const std::string& path, std::vector<std::string>& out) {
  auto text = read_file(path);
  if (!text) return;
  std::string error;
  auto parsed = parse_connect_output(*text, &error);
  if (!parsed.ok()) {
    out.push_back("error: " + path + ": " + error + " (that user's tunnels would be refused)");
    return;
  }
  for (const auto& x : parsed->ignored) out.push_back("warning: " + path + ": not applied: " + x);
}

// The names of a per-user or per-group directory's files, sorted (so reports are stable).
std::set<std::string> config_names(const std::string& dir, size_t max_files) {
  std::set<std::string> names;
  if (dir.empty()) return names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;  // as at a login: no directory, no per-user settings
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || !safe_config_name(name)) continue;
    if (names.size() >= max_files) break;
    names.insert(name);
  }
  ::closedir(d);
  return names;
}

void check_dir(const std::string& dir, size_t max_files, std::vector<std::string>& out,
               void (*check)(const std::string&, std::vector<std::string>&) = check_file) {
  for (const auto& n : config_names(dir, max_files)) check(dir + "/" + n, out);
}

}  // namespace

std::vector<std::string> check_user_config_files(const Config& cfg, size_t max_files) {
  std::vector<std::string> out;
  std::vector<const Config*> all{&cfg};
  for (const auto& v : cfg.vhosts) all.push_back(v.config.get());
  std::set<std::string> seen;  // a directory or file shared by hosts is read once
  for (const Config* c : all) {
    for (const auto* dir : {&c->config_per_group, &c->config_per_user})
      if (seen.insert("d" + *dir).second) check_dir(*dir, max_files, out);
    for (const auto* file : {&c->default_group_config, &c->default_user_config})
      if (!file->empty() && seen.insert("f" + *file).second) check_file(*file, out);
  }
  if (!cfg.openvpn_client_config_dir.empty() && !is_directory(cfg.openvpn_client_config_dir))
    out.push_back("warning: openvpn-client-config-dir " + cfg.openvpn_client_config_dir +
                  " is not a directory: no user has a file" +
                  (cfg.openvpn_ccd_exclusive ? " (and openvpn-ccd-exclusive refuses every tunnel)" : ""));
  check_dir(cfg.openvpn_client_config_dir, max_files, out, check_ccd_file);
  return out;
}

std::vector<IpNet> read_known_iroutes(const std::string& dir, std::vector<std::string>* warnings,
                                      size_t max_files) {
  std::vector<IpNet> out;
  std::unordered_set<std::string> seen;
  for (const auto& n : config_names(dir, max_files)) {
    std::string path = dir + "/" + n;
    auto text = read_regular_file(path, kMaxUserFile);
    if (!text || text->size() > kMaxUserFile) continue;  // not a file a login would read either
    try {
      const ipc::UserSettings us = parse_user_config(*text, path, nullptr);
      for (const auto& r : us.iroutes()) {
        auto net = parse_ip_net(r);
        if (!net || !seen.insert(net->to_string()).second) continue;
        if (out.size() >= kMaxKnownIroutes) {
          warnings->push_back("expose-iroutes: more than " + std::to_string(kMaxKnownIroutes) +
                              " iroutes in " + dir + "; the rest (from " + path + " on) are not exposed");
          return out;
        }
        out.push_back(*net);
      }
    } catch (const ConfigError& e) {
      warnings->push_back(std::string("expose-iroutes: ") + e.what() + " (its iroutes are not exposed)");
    }
  }
  return out;
}

Result<ipc::UserSettings> load_session_settings(const Config& cfg, const std::string& user,
                                                const std::string& group, const ipc::UserSettings& from_login,
                                                std::string* error) {
  ipc::UserSettings s;
  if (!apply_file(cfg.config_per_group, group, cfg.default_group_config, s, error)) return Errc::Malformed;
  if (!apply_file(cfg.config_per_user, user, cfg.default_user_config, s, error)) return Errc::Malformed;
  merge_user_settings(s, from_login);
  return s;
}

}  // namespace sslvpn::mainproc
