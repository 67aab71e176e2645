#include "worker/nvm/privacy.hpp"

#include <gnutls/crypto.h>

#include "common/hex.hpp"

namespace sslvpn::nvm {
namespace {

bool in(const IpAddr& a, const char* net) {
  auto n = parse_ip_net(net);
  return n && n->contains(a);
}

void cut(std::string& s, int n) {
  if (n >= 0 && s.size() > static_cast<size_t>(n)) s.resize(static_cast<size_t>(n));
}

}  // namespace

bool is_private(const IpAddr& a) {
  static const char* const kNets[] = {"10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                                      "100.64.0.0/10", "fc00::/7",      "fe80::/10"};
  for (const char* n : kNets)
    if (in(a, n)) return true;
  return false;
}

std::string pseudonym(const std::array<uint8_t, 32>& key, const std::string& name) {
  if (name.empty()) return name;
  uint8_t mac[32];
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key.data(), key.size(), name.data(), name.size(), mac) != 0)
    return "anon-?";
  return "anon-" + hex_encode(std::span<const uint8_t>(mac, 8));
}

bool apply_privacy(const PrivacyOptions& p, FlowRecord& f) {
  if (p.drop_private && is_private(f.dst)) return false;
  if (p.anonymize_users) {
    f.vpn_user = pseudonym(p.key, f.vpn_user);
    f.claimed_user = pseudonym(p.key, f.claimed_user);
    f.process_account = pseudonym(p.key, f.process_account);
    f.parent_account = pseudonym(p.key, f.parent_account);
  }
  cut(f.process_args, p.truncate_args);
  cut(f.parent_args, p.truncate_args);
  return true;
}

void apply_privacy(const PrivacyOptions& p, EndpointRecord& e) {
  if (p.anonymize_users) e.user = pseudonym(p.key, e.user);
}

}  // namespace sslvpn::nvm
