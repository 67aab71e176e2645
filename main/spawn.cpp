#include "main/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <climits>

#include "common/cwrap.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {
namespace {

// Sources are first duplicated above this, so placing one target cannot clobber another's source.
constexpr int kSpawnScratchFd = 64;

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};

struct SpawnAttr {
  posix_spawnattr_t a;
  SpawnAttr() { posix_spawnattr_init(&a); }
  ~SpawnAttr() { posix_spawnattr_destroy(&a); }
};

}  // namespace

Result<pid_t> spawn_helper(const std::string& path, const std::vector<std::string>& argv,
                           const std::vector<std::pair<int, int>>& fds, const std::vector<std::string>& env) {
  std::vector<UniqueFd> scratch;
  FileActions fa;
  int highest_target = 2;
  for (auto [src, dst] : fds) {
    int hi = ::fcntl(src, F_DUPFD_CLOEXEC, kSpawnScratchFd);
    if (hi < 0) return Errc::Io;
    scratch.emplace_back(hi);
    posix_spawn_file_actions_adddup2(&fa.fa, hi, dst);
    highest_target = std::max(highest_target, dst);
  }
  posix_spawn_file_actions_addopen(&fa.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&fa.fa, highest_target + 1);

  SpawnAttr attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr.a, &all);
  posix_spawnattr_setsigmask(&attr.a, &none);
  posix_spawnattr_setflags(&attr.a, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  // Under cwrap (tests without root) the helpers load the same wrappers; otherwise nothing.
  std::vector<std::string> wrappers = cwrap_environment();
  for (const auto& e : wrappers) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, path.c_str(), &fa.fa, &attr.a, cargv.data(), envp.data()) != 0) return Errc::Io;
  return pid;
}

std::string helper_path(const char* name) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.rfind('/') + 1);
    std::string candidate = dir + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::string(SSLVPND_LIBEXECDIR) + "/" + name;
}

}  // namespace sslvpn::mainproc
