// The collector's declared seccomp policy (common/sandbox.hpp enforces it).
#pragma once

#include "common/sandbox.hpp"

namespace sslvpn::nvm {
const SeccompPolicy& collector_seccomp_policy();
}
