// The worker zygote: `sslvpnd-worker --zygote`, started once by main with fd 3 = its channel.
// It has loaded and initialized what every worker needs (GnuTLS, libxml2) and then forks one
// worker per connection: a vfork()ed child forks the worker and exits, so the worker is
// reparented to main (a child subreaper), which reaps it as before. The worker then runs exactly as an exec'd
// one: its descriptors at 3/4/5, startup from main, sandbox, client. Workers share the
// zygote's relocated library pages copy-on-write instead of each paying for its own.
#pragma once

#include <functional>

#include "worker/prepared_chains.hpp"

namespace sslvpn::worker {

// Serves spawn requests until main closes the channel. In each new worker, `worker_main` runs
// with the chains main had the zygote parse (its own copy), and its result is the worker's exit
// status; in the zygote, returns the zygote's status.
int run_zygote(int channel_fd, const std::function<int(PreparedChains*)>& worker_main);

}  // namespace sslvpn::worker
