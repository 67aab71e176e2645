#include "common/sandbox.hpp"

#include <grp.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/unique_fd.hpp"

namespace sslvpn {
namespace {

std::string err(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

struct FilterDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};

}  // namespace

SeccompProgram SeccompProgram::compile(const SeccompPolicy& p, bool trap, std::string* error) {
  SeccompProgram out;
  out.name_ = p.name;
  error->clear();
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS));
  if (!ctx) {
    *error = "seccomp_init failed";
    return out;
  }
  scmp_filter_ctx f = ctx.get();
  // A binary tree of system call numbers: the kernel walks it at every call, and once per
  // call number when it loads the filter (its allow-cache).
  if (int r = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2); r) {
    *error = std::string(p.name) + ": seccomp_attr_set(OPTIMIZE) failed: " + std::to_string(r);
    return out;
  }
  int rc = 0;
  for (int nr : p.allow)
    if (!rc) rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
  if (p.mprotect_without_exec && !rc)
    rc =
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  for (int cmd : p.fcntl_commands)
    if (!rc)
      rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd)));
  for (const SockOpt& o : p.setsockopt_options)
    if (!rc)
      rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(o.level)),
                            SCMP_A2(SCMP_CMP_EQ, static_cast<scmp_datum_t>(o.name)));
  for (int nr : p.deny_eacces)
    if (!rc) rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), nr, 0);
  if (rc) {
    *error = std::string(p.name) + ": seccomp_rule_add failed: " + std::to_string(rc);
    return out;
  }
  // libseccomp 2.5 exports only to a descriptor.
  UniqueFd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem.valid()) {
    *error = err("memfd_create");
    return out;
  }
  if (int r = seccomp_export_bpf(f, mem.get()); r) {
    *error = std::string(p.name) + ": seccomp_export_bpf failed: " + std::to_string(r);
    return out;
  }
  off_t len = ::lseek(mem.get(), 0, SEEK_END);
  size_t n = len > 0 ? static_cast<size_t>(len) / sizeof(sock_filter) : 0;
  if (n == 0 || n > BPF_MAXINSNS || static_cast<size_t>(len) != n * sizeof(sock_filter)) {
    *error = std::string(p.name) + ": libseccomp exported a filter of " + std::to_string(len) + " bytes";
    return out;
  }
  std::vector<sock_filter> insns(n);
  if (::pread(mem.get(), insns.data(), static_cast<size_t>(len), 0) != len) {
    *error = err("reading the exported filter");
    return out;
  }
  out.insns_ = std::move(insns);
  return out;
}

std::string SeccompProgram::load(bool all_threads) const {
  if (insns_.empty()) return name_ + ": no compiled seccomp filter";
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return err("PR_SET_NO_NEW_PRIVS");
  sock_fprog prog{static_cast<unsigned short>(insns_.size()), const_cast<sock_filter*>(insns_.data())};
  long r =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, all_threads ? SECCOMP_FILTER_FLAG_TSYNC : 0, &prog);
  if (r < 0) return name_ + ": " + err("seccomp(SET_MODE_FILTER)");
  if (r > 0) return name_ + ": thread " + std::to_string(r) + " could not take the filter (TSYNC)";
  return {};
}

std::string install_seccomp(const SeccompPolicy& p, bool trap, bool all_threads) {
  std::string error;
  SeccompProgram prog = SeccompProgram::compile(p, trap, &error);
  if (!error.empty()) return error;
  return prog.load(all_threads);
}

std::string enter_sandbox(const SandboxSpec& s) {
  if (s.uid == 0) return "refusing to run a sandboxed process as root (check run-as-user)";
  // Compiled first: exporting the program needs a descriptor, and RLIMIT_NOFILE comes below.
  SeccompProgram own;
  const SeccompProgram* prog = s.compiled;
  if (s.policy != nullptr && (prog == nullptr || prog->empty())) {
    std::string error;
    own = SeccompProgram::compile(*s.policy, s.seccomp_trap, &error);
    if (!error.empty()) return error;
    prog = &own;
  }
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
  if (s.policy == nullptr) return {};
  return prog->load(s.all_threads);  // always last
}

}  // namespace sslvpn
