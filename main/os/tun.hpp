// TUN devices: one per tunnel session, created by main and handed to the worker.
// The device is not persistent: it disappears when the last descriptor to it closes.
#pragma once

#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {

struct TunDevice {
  UniqueFd fd;  // non-blocking, no packet-info header (IFF_NO_PI)
  std::string name;
  unsigned ifindex = 0;
  bool vnet_hdr = false;  // each packet read or written has a virtio-net header before it
};

// Creates "<prefix>N" with the lowest free N. `error` says why on failure.
// With `offload`, the device carries a virtio-net header (IFF_VNET_HDR): the worker may write
// TCP super-packets (GSO) and, when the kernel accepts TUNSETOFFLOAD, reads them too (TSO).
Result<TunDevice> open_tun(const std::string& prefix, bool offload, std::string* error);

}  // namespace sslvpn::mainproc
