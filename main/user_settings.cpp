#include "main/user_settings.hpp"

#include "common/text.hpp"
#include "common/user_config.hpp"

namespace sslvpn::mainproc {
namespace {

// The file for `name` in `dir`, else `fallback`; empty when neither applies.
std::string pick_file(const std::string& dir, const std::string& name, const std::string& fallback) {
  if (!dir.empty() && safe_config_name(name)) {
    std::string path = dir + "/" + name;
    if (read_file(path)) return path;
  }
  return fallback;
}

bool apply_file(const std::string& path, ipc::UserSettings& into, std::string* error) {
  if (path.empty()) return true;
  auto text = read_file(path);
  if (!text) return true;  // a default file that went away: nothing to apply
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
  if (!group.empty() || !cfg.default_group_config.empty())
    if (!apply_file(pick_file(cfg.config_per_group, group, cfg.default_group_config), s, error))
      return Errc::Malformed;
  if (!apply_file(pick_file(cfg.config_per_user, user, cfg.default_user_config), s, error))
    return Errc::Malformed;
  merge_user_settings(s, from_login);
  return s;
}

}  // namespace sslvpn::mainproc
