// cwrap (socket_wrapper, uid_wrapper, nss_wrapper): the LD_PRELOAD libraries ocserv's test
// suite and distribution packagers use to run servers without root. When main itself runs
// under socket_wrapper, its helpers must too: the wrapper adds a descriptor of its own to
// every SCM_RIGHTS message, which only a wrapped receiver takes back out (an unwrapped one
// sees two descriptors, and our channels rightly refuse that). Without the wrapper loaded
// (every real deployment) these do nothing.
#pragma once

#include <string>
#include <vector>

namespace sslvpn {

// Whether socket_wrapper is loaded in this process and enabled.
bool under_socket_wrapper();

// The wrappers' variables of this process's environment (LD_PRELOAD, SOCKET_WRAPPER_*,
// UID_WRAPPER*, NSS_WRAPPER_*, ...) when under_socket_wrapper(); else none.
std::vector<std::string> cwrap_environment();

// socket_wrapper sets up its socket table on a process's first socket call; a process whose
// first call receives a socket (the worker zygote) must have it set up first.
void prime_socket_wrapper();

}  // namespace sslvpn
