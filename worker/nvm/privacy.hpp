// The collector's privacy options (nvm-anonymize-users, nvm-truncate-args,
// nvm-drop-private-destinations), applied to a flow before it is stored. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "worker/nvm/flow.hpp"

namespace sslvpn::nvm {

struct PrivacyOptions {
  bool anonymize_users = false;   // user names become a keyed hash: stable, not reversible
  int truncate_args = -1;         // command lines cut to this many bytes; -1 keeps them, 0 drops
  bool drop_private = false;      // flows to RFC 1918 / RFC 4193 / link-local destinations are not stored
  std::array<uint8_t, 32> key{};  // the store's pseudonym key
};

// A destination the private-network option covers: 10/8, 172.16/12, 192.168/16, 169.254/16,
// 100.64/10 (carrier NAT), fc00::/7, fe80::/10.
bool is_private(const IpAddr& a);

// "anon-" and 16 hex digits of HMAC-SHA256(key, name); empty stays empty.
std::string pseudonym(const std::array<uint8_t, 32>& key, const std::string& name);

// false: the flow is not to be stored (drop_private). Otherwise rewrites it in place.
bool apply_privacy(const PrivacyOptions& p, FlowRecord& f);
void apply_privacy(const PrivacyOptions& p, EndpointRecord& e);

}  // namespace sslvpn::nvm
