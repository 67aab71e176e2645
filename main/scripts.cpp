#include "main/scripts.hpp"

#include <vector>

#include "common/text.hpp"
#include "main/spawn.hpp"

namespace sslvpn::mainproc {

Result<pid_t> start_script(const std::string& path, const ScriptEnv& env) {
  std::vector<std::string> kv;
  kv.reserve(env.size() + 1);
  kv.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  // Values a client chose (user and host names, its user agent) reach the script with their
  // control characters (line breaks among them) replaced by '_', as openvpn does.
  for (const auto& [k, v] : env) kv.push_back(k + "=" + replace_control_chars(v, '_'));
  return spawn_helper(path, {path}, {}, kv);
}

}  // namespace sslvpn::mainproc
