// The collector's declared seccomp policy (common/sandbox.hpp enforces it).
#pragma once

#include "common/sandbox.hpp"

namespace sslvpn::nvm {
// `network`: the store is a PostgreSQL server, which a lost connection is made to again.
const SeccompPolicy& collector_seccomp_policy(bool network);
}  // namespace sslvpn::nvm
