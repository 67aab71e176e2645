#include "main/user_settings.hpp"

#include <optional>

#include "common/text.hpp"
#include "common/user_config.hpp"

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

}  // namespace

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
