#include "main/ip_pool.hpp"

#include <algorithm>
#include <functional>

namespace sslvpn::mainproc {
namespace {

// More slots than this are never searched (bounds memory and the linear probe).
constexpr uint64_t kMaxSlots = uint64_t{1} << 24;

}  // namespace

IpPool::IpPool(IpNet network, uint8_t client_prefix, bool predictable)
    : net_(network), client_prefix_(client_prefix), predictable_(predictable) {
  unsigned bits = client_prefix_ > net_.prefix ? client_prefix_ - net_.prefix : 0;
  uint64_t subnets = bits >= 63 ? kMaxSlots : (uint64_t{1} << bits);
  // Per-host pools skip the network address (and IPv4's broadcast); subnet pools use them all.
  if (net_.addr.is_v4())
    subnets = subnets > 2 ? subnets - 2 : 0;
  else if (client_prefix_ == 128)
    subnets = subnets > 1 ? subnets - 1 : 0;
  slots_ = std::min(subnets, kMaxSlots);
}

// Slot N (N = 0 is the server) maps to an address:
// - one address per client (IPv4, or IPv6 /128): host N+1 of the network;
// - IPv6 subnets: subnet N of the network, host ::1 in it.
bool IpPool::per_host() const noexcept {
  return net_.addr.is_v4() || client_prefix_ == 128;
}

IpAddr IpPool::slot_address(uint64_t slot) const {
  if (per_host()) return net_host(net_, slot + 1);
  IpAddr a = net_.addr;
  unsigned nbits = std::min<unsigned>(client_prefix_ - net_.prefix, 63);
  for (unsigned k = 0; k < nbits; ++k) {
    unsigned bit = client_prefix_ - 1 - k;  // the slot's low bit is the subnet's last bit
    if ((slot >> k) & 1) a.b[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  }
  a.b[15] |= 1;
  return a;
}

std::optional<uint64_t> IpPool::slot_of(const IpAddr& a) const {
  if (!net_.contains(a)) return std::nullopt;
  uint64_t slot = 0;
  if (per_host()) {
    // offset from the network address; only the low 64 bits may differ
    for (size_t i = 0; i + 8 < a.size(); ++i)
      if (a.b[i] != net_.addr.b[i]) return std::nullopt;
    uint64_t off = 0;
    for (size_t i = a.size() >= 8 ? a.size() - 8 : 0; i < a.size(); ++i)
      off = off << 8 | static_cast<uint64_t>(a.b[i] ^ net_.addr.b[i]);
    if (off == 0) return std::nullopt;
    slot = off - 1;
  } else {
    unsigned nbits = std::min<unsigned>(client_prefix_ - net_.prefix, 63);
    for (unsigned k = 0; k < nbits; ++k) {
      unsigned bit = client_prefix_ - 1 - k;
      if (a.b[bit / 8] & (0x80u >> (bit % 8))) slot |= uint64_t{1} << k;
    }
  }
  if (slot >= slots_ || !(slot_address(slot) == a)) return std::nullopt;
  return slot;
}

std::optional<IpAddr> IpPool::acquire(std::string_view user, const std::optional<IpAddr>& wanted) {
  if (slots_ < 2) return std::nullopt;
  if (wanted) {
    auto s = slot_of(*wanted);
    if (s && *s != 0 && !used_.count(*s)) {
      used_.insert(*s);
      return slot_address(*s);
    }
  }
  uint64_t clients = slots_ - 1;
  uint64_t start = predictable_ ? 1 + std::hash<std::string_view>{}(user) % clients : next_;
  for (uint64_t i = 0; i < clients; ++i) {
    uint64_t s = 1 + (start - 1 + i) % clients;
    if (!used_.count(s)) {
      used_.insert(s);
      next_ = 1 + s % clients;
      return slot_address(s);
    }
  }
  return std::nullopt;
}

std::optional<IpAddr> IpPool::acquire_exact(const IpAddr& a) {
  auto s = slot_of(a);
  if (!s || *s == 0 || used_.count(*s) || !(slot_address(*s) == a)) return std::nullopt;
  used_.insert(*s);
  return a;
}

void IpPool::release(const IpAddr& a) {
  if (auto s = slot_of(a)) used_.erase(*s);
}

bool IpPool::in_use(const IpAddr& a) const {
  auto s = slot_of(a);
  return s && used_.count(*s);
}

}  // namespace sslvpn::mainproc
