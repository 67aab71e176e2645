// The worker's seccomp allow-list: the one reviewed place that says what a worker may ask of
// the kernel (the mechanism is common/sandbox). Default action: kill the process. No
// socket/connect/open: the worker's peers arrive as inherited fds, and file opens fail softly
// with EACCES for libraries that try.
#include "worker/seccomp_policy.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/socket.h>

namespace sslvpn::worker {
namespace {

constexpr int kAllow[] = {
    // I/O on inherited descriptors: client socket, IPC channels, TUN device, UDP socket.
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(lseek),
    // Waiting: GnuTLS' record timeouts use select/poll; the tunnel loop polls.
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2),
    // Memory (mprotect separately: never adding PROT_EXEC).
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    // Time, randomness, signals, threads' futexes (libstdc++), exit.
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep), SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(futex),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(exit),
    SCMP_SYS(exit_group), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    // a poll() interrupted by SIGSTOP/SIGCONT (or a debugger attaching) resumes through it
    SCMP_SYS(restart_syscall)};
// fcntl only to read and set descriptor/status flags (non-blocking mode).
constexpr int kFcntl[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD};
// setsockopt only to mark the client's sockets (net-priority).
constexpr SockOpt kSockOpts[] = {
    {SOL_SOCKET, SO_PRIORITY}, {IPPROTO_IP, IP_TOS}, {IPPROTO_IPV6, IPV6_TCLASS}};
// Soft denials: libraries that probe files get an error instead of a dead process.
constexpr int kDenyEacces[] = {SCMP_SYS(open), SCMP_SYS(openat)};

constexpr SeccompPolicy kWorkerPolicy{"worker", kAllow, kDenyEacces, kFcntl, true, kSockOpts};

}  // namespace

const SeccompPolicy& worker_seccomp_policy() {
  return kWorkerPolicy;
}

}  // namespace sslvpn::worker
