// The worker's seccomp allow-list: the one reviewed place that says what a worker may ask of
// the kernel. Default action: kill the process. No socket/connect/open: the worker's peers
// arrive as inherited fds, and file opens fail softly with EACCES for libraries that try.
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>

#include <memory>
#include <string>

#include "worker/sandbox.hpp"

namespace sslvpn::worker {
namespace {

struct FilterDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};

}  // namespace

std::string install_seccomp(bool trap) {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS));
  if (!ctx) return "seccomp_init failed";
  scmp_filter_ctx f = ctx.get();
  int rc = 0;
  auto allow = [&](int nr) { rc = rc ? rc : seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0); };

  // I/O on inherited descriptors: client socket, IPC channels.
  for (int nr : {SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(recvfrom),
                 SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(shutdown),
                 SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(lseek)})
    allow(nr);
  // Waiting: GnuTLS' record timeouts use select/poll; the tunnel loop will use epoll (libev).
  for (int nr :
       {SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(epoll_create1),
        SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2)})
    allow(nr);
  // Memory. mprotect may never add PROT_EXEC.
  for (int nr : {SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise)})
    allow(nr);
  if (!rc)
    rc =
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  // Time, randomness, signals, threads' futexes (libstdc++), exit.
  for (int nr : {SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(clock_nanosleep),
                 SCMP_SYS(nanosleep), SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
                 SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
                 SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(fstat), SCMP_SYS(newfstatat)})
    allow(nr);
  // fcntl only to read and set descriptor/status flags (non-blocking mode).
  for (int cmd : {F_GETFL, F_SETFL, F_GETFD, F_SETFD})
    if (!rc)
      rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd)));
  // Soft denials: libraries that probe files get an error instead of a dead process.
  for (int nr : {SCMP_SYS(open), SCMP_SYS(openat)})
    if (!rc) rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), nr, 0);
  if (rc) return std::string("seccomp_rule_add failed: ") + std::to_string(rc);
  if (int r = seccomp_load(f); r) return std::string("seccomp_load failed: ") + std::to_string(r);
  return {};
}

}  // namespace sslvpn::worker
