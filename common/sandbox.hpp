// Confinement for every process that handles untrusted input (workers now, the IPFIX collector
// next), entered once before the first untrusted byte is read (STYLE rules 3 and 4). The
// mechanism lives here; each executable declares its own seccomp policy beside its main()
// (worker/seccomp_policy.cpp), the one reviewed place that says what it may ask of the kernel.
// Any failure is fatal: the process exits and main cleans up.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

namespace sslvpn {

// A seccomp allow-list as data. Anything not listed kills the process (or traps, to debug).
struct SockOpt {
  int level;
  int name;
};

struct SeccompPolicy {
  const char* name;                                  // for error messages
  std::span<const int> allow;                        // system calls allowed with any arguments
  std::span<const int> deny_eacces;                  // fail softly (libraries that probe files)
  std::span<const int> fcntl_commands;               // fcntl with only these commands
  bool mprotect_without_exec = true;                 // mprotect allowed, never adding PROT_EXEC
  std::span<const SockOpt> setsockopt_options = {};  // setsockopt with only these (level, name)
};

// A policy compiled by libseccomp to its BPF program (libseccomp's binary-tree layout). The
// worker zygote compiles the workers' policy once and each forked worker only loads the
// program: building it anew cost every worker about 0.15 ms of libseccomp work and its pages.
class SeccompProgram {
 public:
  // An empty error on success.
  static SeccompProgram compile(const SeccompPolicy& policy, bool trap, std::string* error);
  bool empty() const { return insns_.empty(); }
  // Sets no_new_privs and loads the program into this thread (`all_threads`: every thread,
  // TSYNC). Returns an error text, or empty.
  std::string load(bool all_threads) const;

 private:
  std::string name_;
  std::vector<sock_filter> insns_;
};

struct SandboxSpec {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string chroot_dir;                    // empty: no chroot
  unsigned max_fds = 64;                     // RLIMIT_NOFILE
  const SeccompPolicy* policy = nullptr;     // nullptr: no seccomp (seccomp = false in the config)
  const SeccompProgram* compiled = nullptr;  // `policy` compiled before (it is then not rebuilt)
  bool seccomp_trap = false;                 // debugging: SIGSYS instead of kill
  bool all_threads = false;                  // the filter covers threads started before (TSYNC)
};

// chroot -> setgroups -> setresgid -> setresuid -> no dumps -> no_new_privs -> rlimits ->
// seccomp. Returns an error text, or empty on success.
std::string enter_sandbox(const SandboxSpec& s);

// Loads only the seccomp filter (the last step above); the unit tests use it to show that a
// forbidden call kills the process.
// `all_threads`: every thread of the process gets the filter (and no_new_privs), not only the
// calling one.
std::string install_seccomp(const SeccompPolicy& policy, bool trap, bool all_threads = false);

}  // namespace sslvpn
