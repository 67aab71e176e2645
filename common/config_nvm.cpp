#include "common/config_nvm.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace sslvpn::nvm_config {
namespace {

using cfgval::fail;

constexpr std::string_view kKeys[] = {
    "nvm-collector-port",
    "nvm-dtls",
    "nvm-dtls-ca",
    "nvm-store",
    "nvm-retention-days",
    "nvm-retention-mb",
    "nvm-anonymize-users",
    "nvm-truncate-args",
    "nvm-drop-private-destinations",
    "nvm-store-unattributed",
    "nvm-store-dst-index",
    "nvm-exporters",
    "nvm-gateway-name",
};

}  // namespace

bool is_key(std::string_view key) {
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

void apply(Config& cfg, const cfgval::Where& w, std::string_view v) {
  if (w.key == "nvm-collector-port") {
    cfg.nvm_collector_port = static_cast<uint16_t>(cfgval::parse_uint(w, v, 65535));
  } else if (w.key == "nvm-dtls") {
    cfg.nvm_dtls = cfgval::parse_bool(w, v);
  } else if (w.key == "nvm-dtls-ca") {
    cfg.nvm_dtls_ca = std::string(v);
  } else if (w.key == "nvm-store") {
    if (v.rfind("sqlite:", 0) != 0 && v.rfind("postgresql:", 0) != 0)
      fail(w.origin, w.line,
           "nvm-store must be sqlite:PATH or postgresql:CONNINFO, got '" + std::string(v) + "'");
    if (v.rfind("sqlite:", 0) == 0 && (v.size() < 8 || v[7] != '/'))
      fail(w.origin, w.line, "nvm-store: sqlite: needs an absolute path (sqlite:/var/lib/sslvpnd/flows.db)");
    cfg.nvm_store = std::string(v);
  } else if (w.key == "nvm-retention-days") {
    cfg.nvm_retention_days = cfgval::parse_uint(w, v, 100000);
  } else if (w.key == "nvm-retention-mb") {
    cfg.nvm_retention_mb = cfgval::parse_uint64(w, v);
  } else if (w.key == "nvm-anonymize-users") {
    cfg.nvm_anonymize_users = cfgval::parse_bool(w, v);
  } else if (w.key == "nvm-truncate-args") {
    cfg.nvm_truncate_args = v == "none" ? -1 : static_cast<int32_t>(cfgval::parse_uint(w, v, 65535));
  } else if (w.key == "nvm-drop-private-destinations") {
    cfg.nvm_drop_private_destinations = cfgval::parse_bool(w, v);
  } else if (w.key == "nvm-store-unattributed") {
    cfg.nvm_store_unattributed = cfgval::parse_bool(w, v);
  } else if (w.key == "nvm-store-dst-index") {
    cfg.nvm_store_dst_index = cfgval::parse_bool(w, v);
  } else if (w.key == "nvm-gateway-name") {
    cfg.nvm_gateway_name = std::string(v);
  } else if (w.key == "nvm-exporters") {
    std::string_view rest = v;
    while (!rest.empty()) {
      auto c = rest.find_first_of(", ");
      std::string_view item = trim(rest.substr(0, c));
      rest = c == std::string_view::npos ? std::string_view{} : rest.substr(c + 1);
      if (!item.empty()) cfg.nvm_exporters.push_back(cfgval::parse_net(w, item));
    }
  }
}

void validate(const Config& cfg, std::string_view origin, int line) {
  if (cfg.nvm_collector_port == 0) return;
  uint16_t udp_used[] = {cfg.udp_port, cfg.gp_esp_port, cfg.openvpn_udp_port};
  for (uint16_t p : udp_used)
    if (p != 0 && p == cfg.nvm_collector_port)
      fail(origin, line, "nvm-collector-port must differ from udp-port, gp-esp-port and openvpn-udp-port");
  if (!cfg.nvm_dtls_ca.empty() && !cfg.nvm_dtls) fail(origin, line, "nvm-dtls-ca is set but nvm-dtls is not");
}

}  // namespace sslvpn::nvm_config
