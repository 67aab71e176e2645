#include "common/sandbox.hpp"

#include <grp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace sslvpn {
namespace {

std::string err(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

struct FilterDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};

}  // namespace

std::string install_seccomp(const SeccompPolicy& p, bool trap, bool all_threads) {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS));
  if (!ctx) return "seccomp_init failed";
  scmp_filter_ctx f = ctx.get();
  int rc = all_threads ? seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1) : 0;
  for (int nr : p.allow)
    if (!rc) rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
  if (p.mprotect_without_exec && !rc)
    rc =
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  for (int cmd : p.fcntl_commands)
    if (!rc)
      rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd)));
  for (int nr : p.deny_eacces)
    if (!rc) rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), nr, 0);
  if (rc) return std::string(p.name) + ": seccomp_rule_add failed: " + std::to_string(rc);
  if (int r = seccomp_load(f); r) return std::string(p.name) + ": seccomp_load failed: " + std::to_string(r);
  return {};
}

std::string enter_sandbox(const SandboxSpec& s) {
  if (s.uid == 0) return "refusing to run a sandboxed process as root (check run-as-user)";
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
  rlimit nofile{s.max_fds, s.max_fds};
  if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) return err("RLIMIT_NOFILE");
  if (s.policy) return install_seccomp(*s.policy, s.seccomp_trap, s.all_threads);  // always last
  return {};
}

}  // namespace sslvpn
