#include "worker/zygote.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "common/cwrap.hpp"
#include "common/ipc_channel.hpp"
#include "ipc.pb.h"

namespace sslvpn::worker {
namespace {

constexpr int kParts = 3;
constexpr int kHighFd = 64;  // received fds are parked here while 3..5 are rebuilt
constexpr unsigned kMaxCloseWalk = 1u << 20;

// Closes fds lo..hi: close_range, or one at a time where that is refused (kernels before 5.9,
// some container filters), up to the descriptor limit. A worker never keeps the zygote's.
bool close_fds(unsigned lo, unsigned hi) {
  if (::close_range(lo, hi, 0) == 0) return true;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= hi)
    hi = rl.rlim_cur == 0 ? 0 : static_cast<unsigned>(rl.rlim_cur - 1);
  if (hi - std::min(lo, hi) > kMaxCloseWalk) return false;  // no bound to walk to: the worker does not start
  for (unsigned fd = lo; fd <= hi; ++fd) ::close(static_cast<int>(fd));
  return true;
}

// In the new worker: exactly fds 0-2 (inherited), 3, 4, 5.
bool arrange_fds(std::array<UniqueFd, kParts>& fds) {
  int high[kParts];
  for (int i = 0; i < kParts; ++i) {
    high[i] = ::fcntl(fds[i].get(), F_DUPFD, kHighFd + i);
    if (high[i] < 0) return false;
  }
  for (auto& f : fds) f.reset();
  if (!close_fds(3, kHighFd - 1)) return false;  // the zygote's channel among them
  for (int i = 0; i < kParts; ++i) {
    if (::dup2(high[i], 3 + i) < 0) return false;
    ::close(high[i]);
  }
  return close_fds(3 + kParts, ~0U);
}

}  // namespace

int run_zygote(int channel_fd, const std::function<int(PreparedChains*)>& worker_main) {
  IpcChannel ch{UniqueFd(channel_fd)};
  PreparedChains chains;
  // Told apart from the workers in ps/top; each worker takes its own name back.
  ::prctl(PR_SET_NAME, "sslvpnd-zygote");
  prime_socket_wrapper();  // under cwrap only: its first call receives a socket
  for (;;) {
    std::array<UniqueFd, kParts> fds;
    uint64_t worker_id = 0;
    for (int part = 0; part < kParts; ++part) {
      auto r = ch.recv<ipc::MainToZygote>(false);
      if (!r.ok()) return r.error() == Errc::Closed ? 0 : 1;  // main is gone: so are we
      const auto& m = r->first;
      if (part == 0 && m.msg_case() == ipc::MainToZygote::kCertChains && !r->second.valid()) {
        if (m.cert_chains().reset()) chains.clear();
        for (const auto& pem : m.cert_chains().pem()) chains.add(pem);
        for (const auto& p : m.cert_chains().priorities()) chains.add_priorities(p);
        --part;  // still waiting for a spawn request's first part
        continue;
      }
      if (m.msg_case() != ipc::MainToZygote::kSpawn || m.spawn().part() != static_cast<uint32_t>(part) ||
          !r->second.valid() || (part > 0 && m.spawn().worker_id() != worker_id))
        return 1;  // main speaks this protocol or nothing
      worker_id = m.spawn().worker_id();
      fds[part] = std::move(r->second);
    }
    // The worker is forked by a vfork()ed child of the zygote, which then exits: the worker is
    // orphaned to main (a child subreaper), which reaps it as it reaps every worker. The vfork
    // child borrows the zygote's memory (the zygote waits meanwhile), so the one full copy of
    // the address space is the worker's: the intermediate used to cost a second fork and exit
    // (about 5% of a login's CPU). The child only forks, writes the pid and exits. This holds
    // because the zygote has one thread and no signal handlers (posix_spawn reset them): the
    // vfork child runs on the zygote's stack, and fork()'s atfork handlers run in its memory
    // (GnuTLS's child handler still runs in the worker, whose RNG thus reseeds: keep fork()
    // here, never _Fork()). Keep the zygote single-threaded and without signal handlers.
    volatile pid_t worker_pid = -1;
    pid_t a = ::vfork();
    if (a == 0) {
      pid_t b = ::fork();
      if (b == 0) {
        ::prctl(PR_SET_NAME, "sslvpnd-worker");
        if (!arrange_fds(fds)) ::_exit(1);
        ::_exit(worker_main(&chains));
      }
      worker_pid = b;
      ::_exit(0);
    }
    for (auto& f : fds) f.reset();
    ipc::ZygoteToMain reply;
    reply.mutable_spawned()->set_worker_id(worker_id);
    reply.mutable_spawned()->set_pid(a > 0 && worker_pid > 0 ? worker_pid : -1);
    (void)ch.send(reply);
    if (a < 0) continue;
    int status = 0;
    while (::waitpid(a, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace sslvpn::worker
