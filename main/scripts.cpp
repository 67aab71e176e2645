#include "main/scripts.hpp"

#include <vector>

#include "main/spawn.hpp"

namespace sslvpn::mainproc {

Result<pid_t> start_script(const std::string& path, const ScriptEnv& env) {
  std::vector<std::string> kv;
  kv.reserve(env.size() + 1);
  kv.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  // Values a client chose (user and host names, its user agent) reach the script with their
  // control characters (line breaks among them) replaced by '_', as openvpn does.
  for (const auto& [k, v] : env) {
    std::string line = k + "=" + v;
    for (size_t i = k.size() + 1; i < line.size(); ++i)
      if (static_cast<unsigned char>(line[i]) < 0x20 || line[i] == 0x7f) line[i] = '_';
    kv.push_back(std::move(line));
  }
  return spawn_helper(path, {path}, {}, kv);
}

}  // namespace sslvpn::mainproc
