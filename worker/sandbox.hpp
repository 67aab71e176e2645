// Worker confinement, entered once before the first byte from the client is read
// (STYLE rules 3 and 4). Any failure is fatal: the worker exits and main cleans up.
#pragma once

#include <sys/types.h>

#include <string>

namespace sslvpn::worker {

struct SandboxSpec {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string chroot_dir;  // empty: no chroot
  bool seccomp = true;
  bool seccomp_trap = false;  // debugging: SIGSYS instead of kill
};

// chroot -> setgroups -> setresgid -> setresuid -> no_new_privs -> rlimits -> seccomp.
// Returns an error text, or empty on success.
std::string enter_sandbox(const SandboxSpec& s);

// Loads only the seccomp allow-list (the last step above). Exposed for the unit test that
// shows a forbidden call kills the process.
std::string install_seccomp(bool trap);

}  // namespace sslvpn::worker
