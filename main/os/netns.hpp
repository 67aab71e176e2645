// listen-netns (ocserv's): the listening sockets, and the UDP sockets main connects to
// clients, live in another network namespace (one made with `ip netns add NAME`), while the
// TUN devices, routes and everything else stay in main's own. main enters the namespace only
// for the socket(2) call and returns at once (setns on the main thread).
#pragma once

#include <memory>
#include <string>

#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {

class NetnsSockets {
 public:
  // NAME as `ip netns` knows it (/run/netns/NAME) or an absolute path to a namespace file.
  // Throws std::runtime_error with the reason (no such namespace; setns refused, e.g. the
  // systemd unit's RestrictNamespaces= or a missing CAP_SYS_ADMIN).
  static std::unique_ptr<NetnsSockets> open(const std::string& name);
  // socket(2) inside the namespace; -1 with errno on failure.
  int socket(int domain, int type, int protocol) const;
  const std::string& name() const { return name_; }

 private:
  NetnsSockets() = default;
  std::string name_;
  UniqueFd target_, home_;
};

// A socket in `ns`, or in main's own namespace when ns is null.
int make_socket(const NetnsSockets* ns, int domain, int type, int protocol);

}  // namespace sslvpn::mainproc
