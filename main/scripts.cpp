#include "main/scripts.hpp"

#include <vector>

#include "main/spawn.hpp"

namespace sslvpn::mainproc {

Result<pid_t> start_script(const std::string& path, const ScriptEnv& env) {
  std::vector<std::string> kv;
  kv.reserve(env.size() + 1);
  kv.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& [k, v] : env) kv.push_back(k + "=" + v);
  return spawn_helper(path, {path}, {}, kv);
}

}  // namespace sslvpn::mainproc
