#include "main/pool_set.hpp"

#include <algorithm>

namespace sslvpn::mainproc {
namespace {

bool overlap(const IpNet& a, const IpNet& b) {
  return a.addr.is_v4() == b.addr.is_v4() && (a.contains(b.addr) || b.contains(a.addr));
}

}  // namespace

IpPool* PoolSet::find(const IpNet& net, uint8_t client_prefix) const {
  for (const auto& p : pools_)
    if (p->network().to_string() == net.to_string() && p->client_prefix() == client_prefix) return p.get();
  return nullptr;
}

IpPool* PoolSet::get(const std::optional<IpNet>& net, uint8_t client_prefix, bool predictable) {
  if (!net) return nullptr;
  if (IpPool* p = find(*net, client_prefix)) return p;
  pools_.push_back(std::make_unique<IpPool>(*net, client_prefix, predictable));
  return pools_.back().get();
}

IpPool* PoolSet::for_user(const IpNet& net, uint8_t client_prefix, bool predictable,
                          std::span<IpPool* const> in_use, std::string* why) {
  if (client_prefix < net.prefix) {
    *why = "its network " + net.to_string() + " is smaller than one lease (/" +
           std::to_string(client_prefix) + ")";
    return nullptr;
  }
  IpPool* same = find(net, client_prefix);
  for (const auto& p : pools_) {
    bool serves = p->used() > 0 || std::find(in_use.begin(), in_use.end(), p.get()) != in_use.end();
    if (p.get() != same && serves && overlap(net, p->network())) {
      *why = "its network " + net.to_string() + " overlaps " + p->network().to_string() +
             ", another pool in use (a user's or group's network must be another's exactly, or apart)";
      return nullptr;
    }
  }
  return get(net, client_prefix, predictable);
}

std::string PoolSet::overlapped(const IpNet& net, uint8_t client_prefix) const {
  for (const auto& p : pools_) {
    bool same = p->network().to_string() == net.to_string() && p->client_prefix() == client_prefix;
    if (!same && overlap(net, p->network())) return p->network().to_string();
  }
  return {};
}

size_t PoolSet::leases_in_use() const {
  size_t n = 0;
  for (const auto& p : pools_) n += p->used();
  return n;
}

}  // namespace sslvpn::mainproc
