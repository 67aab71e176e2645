// The worker's declared seccomp policy (common/sandbox.hpp enforces it).
#pragma once

#include "common/sandbox.hpp"

namespace sslvpn::worker {

const SeccompPolicy& worker_seccomp_policy();

}  // namespace sslvpn::worker
