#include "worker/sandbox.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::worker {
namespace {

std::string err(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Enough for the inherited channels plus the fds the tunnel will receive (TUN, UDP).
constexpr rlim_t kMaxWorkerFds = 64;

}  // namespace

std::string enter_sandbox(const SandboxSpec& s) {
  if (s.uid == 0) return "refusing to run a worker as root (check run-as-user)";
  if (!s.chroot_dir.empty()) {
    if (::chroot(s.chroot_dir.c_str()) != 0) return err("chroot");
    if (::chdir("/") != 0) return err("chdir");
  }
  if (::setgroups(0, nullptr) != 0) return err("setgroups");
  if (::setresgid(s.gid, s.gid, s.gid) != 0) return err("setresgid");
  if (::setresuid(s.uid, s.uid, s.uid) != 0) return err("setresuid");
  if (::setuid(0) == 0) return "regained root after dropping it";
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return err("PR_SET_DUMPABLE");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return err("PR_SET_NO_NEW_PRIVS");
  rlimit nproc{0, 0};
  if (::setrlimit(RLIMIT_NPROC, &nproc) != 0) return err("RLIMIT_NPROC");
  rlimit nofile{kMaxWorkerFds, kMaxWorkerFds};
  if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) return err("RLIMIT_NOFILE");
  if (s.seccomp) return install_seccomp(s.seccomp_trap);  // always last
  return {};
}

}  // namespace sslvpn::worker
