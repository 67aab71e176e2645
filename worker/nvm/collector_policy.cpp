// The collector's seccomp allow-list: what sslvpnd-collector may ask of the kernel once it
// reads datagrams. Like a worker's (worker/seccomp_policy.cpp), plus what SQLite needs on the
// files it opened before the sandbox: positioned reads and writes, syncs, truncation, POSIX
// record locks, and mapping the WAL index. No open: new files fail softly. socket and connect
// only with a PostgreSQL store (a new connection when the old one broke).
#include "worker/nvm/collector_policy.hpp"

#include <fcntl.h>
#include <seccomp.h>

#include <span>

namespace sslvpn::nvm {
namespace {

// clang-format off
constexpr int kAllow[] = {
    // I/O on inherited descriptors: main's channel, sec-mod's (DTLS), the UDP sockets, the store.
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(recvmmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(lseek),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(getsockopt), SCMP_SYS(getsockname),
    SCMP_SYS(poll), SCMP_SYS(ppoll),
    // Memory (mprotect separately: never adding PROT_EXEC); SQLite maps its WAL index.
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    // Time, randomness (GnuTLS), signals, futexes, exit.
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(geteuid),
    SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
    // a poll() or sleep interrupted by SIGSTOP/SIGCONT (or a debugger attaching) resumes through it
    SCMP_SYS(restart_syscall),
    // Last, and only with a PostgreSQL store (kNetworkCalls of them): libpq connecting again.
    SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(setsockopt), SCMP_SYS(getpeername), SCMP_SYS(getuid),
    SCMP_SYS(shutdown)};
// clang-format on
constexpr size_t kNetworkCalls = 6;
// Descriptor flags, and SQLite's locks on the database and its WAL index.
constexpr int kFcntl[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_GETLK, F_SETLK, F_SETLKW};
constexpr int kDenyEacces[] = {SCMP_SYS(open),   SCMP_SYS(openat),   SCMP_SYS(access), SCMP_SYS(faccessat),
                               SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(fchown), SCMP_SYS(fchmod),
                               SCMP_SYS(stat),   SCMP_SYS(lstat)};

constexpr SeccompPolicy kPolicy{"collector", std::span(kAllow).first(std::size(kAllow) - kNetworkCalls),
                                kDenyEacces, kFcntl, true};
constexpr SeccompPolicy kNetworkPolicy{"collector (PostgreSQL store)", kAllow, kDenyEacces, kFcntl, true};

}  // namespace

const SeccompPolicy& collector_seccomp_policy(bool network) {
  return network ? kNetworkPolicy : kPolicy;
}

}  // namespace sslvpn::nvm
