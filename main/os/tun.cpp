#include "main/os/tun.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::mainproc {

std::string TunNamer::next(const std::string& prefix) {
  uint32_t limit = 1;
  for (size_t digits = prefix.size(); digits < IFNAMSIZ - 1 && limit < 1000000; ++digits) limit *= 10;
  if (limit == 1) return prefix;  // no room for a number: the caller's TUNSETIFF fails
  uint32_t& counter = counters_[prefix];
  counter %= limit;
  return prefix + std::to_string(counter++);
}

Result<TunDevice> open_tun(const std::string& prefix, bool offload, std::string* error, TunNamer* namer) {
  TunDevice t;
  t.fd.reset(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!t.fd.valid()) {
    *error = std::string("open /dev/net/tun: ") + std::strerror(errno);
    return Errc::Io;
  }
  ifreq ifr{};
  const short flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  bool named = false;
  for (int tries = 0; namer != nullptr && !named && tries < 16; ++tries) {
    ifr = ifreq{};
    ifr.ifr_flags = flags | IFF_TUN_EXCL;
    std::strncpy(ifr.ifr_name, namer->next(prefix).c_str(), IFNAMSIZ - 1);
    named = ::ioctl(t.fd.get(), TUNSETIFF, &ifr) == 0;
    if (!named && errno != EBUSY && errno != EEXIST) break;  // not a name in use: as below
  }
  if (!named) {
    ifr = ifreq{};
    ifr.ifr_flags = flags;
    std::string pattern = prefix + "%d";
    std::strncpy(ifr.ifr_name, pattern.c_str(), IFNAMSIZ - 1);
    if (::ioctl(t.fd.get(), TUNSETIFF, &ifr) != 0) {
      *error = std::string("TUNSETIFF: ") + std::strerror(errno);
      return Errc::Io;
    }
  }
  t.vnet_hdr = offload;
  // Checksum and TSO offloads: the kernel hands over whole TCP super-packets and the worker
  // segments them. IPv4 only: an IPv6 one may carry extension headers (GRO keeps them), which
  // the worker does not parse, so the kernel segments IPv6 itself. Without the offloads the
  // header stays (and GSO writes, IPv6 included, still work).
  if (offload) (void)::ioctl(t.fd.get(), TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4);
  t.name = ifr.ifr_name;
  t.ifindex = ::if_nametoindex(ifr.ifr_name);
  if (t.ifindex == 0) {
    *error = "if_nametoindex(" + t.name + "): " + std::strerror(errno);
    return Errc::Io;
  }
  return t;
}

}  // namespace sslvpn::mainproc
