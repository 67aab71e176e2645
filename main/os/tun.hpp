// TUN devices: one per tunnel session, created by main and handed to the worker.
// The device is not persistent: it disappears when the last descriptor to it closes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {

struct TunDevice {
  UniqueFd fd;  // non-blocking, no packet-info header (IFF_NO_PI)
  std::string name;
  unsigned ifindex = 0;
  bool vnet_hdr = false;  // each packet read or written has a virtio-net header before it
};

// Names for new devices: the prefix and a number counted here. Given "<prefix>%d", the kernel
// scans every network device for the lowest free number, which costs main 0.24 ms a device
// with 2,000 devices (0.06 ms with the name given) and grows with them. The number wraps within
// the 15 characters of a device name (at most 1,000,000 names).
class TunNamer {
 public:
  std::string next(const std::string& prefix);

 private:
  // One count per prefix: a vhost's own `device` (whose numbers may wrap sooner) does not
  // pull another prefix's count back into names its sessions hold.
  std::unordered_map<std::string, uint32_t> counters_;
};

// Creates a device "<prefix>N": N from `namer` (a name in use, by any device, is skipped:
// IFF_TUN_EXCL never attaches to an existing one; after 16 such, the kernel's lowest free N),
// or without a namer the lowest free N. `error` says why on failure.
// With `offload`, the device carries a virtio-net header (IFF_VNET_HDR): the worker may write
// TCP super-packets (GSO) and, when the kernel accepts TUNSETOFFLOAD, reads them too (TSO).
Result<TunDevice> open_tun(const std::string& prefix, bool offload, std::string* error,
                           TunNamer* namer = nullptr);

}  // namespace sslvpn::mainproc
