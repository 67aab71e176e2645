// main: reloading the configuration (SIGHUP, sslvpnctl reload). What the running process is
// built on keeps its value until a restart; sec-mod gets the new text; sessions keep theirs.
#include "main/server.hpp"
#include "main/settings_loader.hpp"

namespace sslvpn::mainproc {

bool Server::reload(std::string* error, std::vector<std::string>* notes) {
  ServerSettings next;
  try {
    next = load_server_settings(s_.config_path, log_);
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  // What the file has that sslvpnd skips (an unknown key, a line left out) goes back to whoever
  // asked for the reload (sslvpnctl reload prints it), not only to the log.
  for (const auto& w : next.warnings) notes->push_back(w);
  Config n = *next.config;  // a copy to adjust; frozen again below
  const Config& o = cfg();
  // What the running process is built on keeps its value until a restart.
  auto keep = [&](const char* key, auto& new_value, const auto& old_value) {
    if (new_value == old_value) return;
    new_value = old_value;
    notes->push_back(std::string("'") + key + "' changed; it takes effect after a restart");
  };
  auto net_text = [](const std::optional<IpNet>& v) { return v ? v->to_string() : std::string(); };
  keep("listen-host", n.listen_host, o.listen_host);
  keep("tcp-port", n.tcp_port, o.tcp_port);
  keep("udp-port", n.udp_port, o.udp_port);
  keep("gp-esp-port", n.gp_esp_port, o.gp_esp_port);
  keep("openvpn-udp-port", n.openvpn_udp_port, o.openvpn_udp_port);
  keep("openvpn-tcp-port", n.openvpn_tcp_port, o.openvpn_tcp_port);
  keep("openvpn-management", n.openvpn_management, o.openvpn_management);
  keep("openvpn-management (its password file)", n.openvpn_management_password_file,
       o.openvpn_management_password_file);
  keep("openvpn-tls-crypt-v2-force-cookie", n.openvpn_tls_crypt_v2_force_cookie,
       o.openvpn_tls_crypt_v2_force_cookie);
  // main's stateless handshake holds the wrap key: a new one waits for a restart, for workers too.
  bool wrap_changed =
      n.openvpn_tls_crypt != o.openvpn_tls_crypt || n.openvpn_tls_auth != o.openvpn_tls_auth ||
      n.openvpn_tls_auth_direction != o.openvpn_tls_auth_direction || n.openvpn_auth != o.openvpn_auth ||
      next.openvpn_wrap_key != s_.openvpn_wrap_key || n.openvpn_tls_crypt_v2 != o.openvpn_tls_crypt_v2 ||
      next.openvpn_v2_key != s_.openvpn_v2_key;
  if (wrap_changed) {
    n.openvpn_tls_crypt_v2 = o.openvpn_tls_crypt_v2;
    next.openvpn_v2_key = s_.openvpn_v2_key;
    n.openvpn_tls_crypt = o.openvpn_tls_crypt;
    n.openvpn_tls_auth = o.openvpn_tls_auth;
    n.openvpn_tls_auth_direction = o.openvpn_tls_auth_direction;
    n.openvpn_auth = o.openvpn_auth;
    next.openvpn_wrap_key = s_.openvpn_wrap_key;
    notes->push_back("the OpenVPN tls-crypt/tls-auth key changed; it takes effect after a restart");
  }
  keep("nvm-collector-port", n.nvm_collector_port, o.nvm_collector_port);
  keep("udp-listen-host", n.udp_listen_host, o.udp_listen_host);
  keep("listen-netns", n.listen_netns, o.listen_netns);
  keep("device", n.device, o.device);
  keep("run-as-user", n.run_as_user, o.run_as_user);
  keep("run-as-group", n.run_as_group, o.run_as_group);
  keep("use-occtl", n.use_occtl, o.use_occtl);
  keep("occtl-socket-file", n.occtl_socket_file, o.occtl_socket_file);
  keep("ipv6-subnet-prefix", n.ipv6_subnet_prefix, o.ipv6_subnet_prefix);
  keep("predictable-ips", n.predictable_ips, o.predictable_ips);
  keep("log-level", n.log_level, o.log_level);
  keep("sec-mod-scale", n.sec_mod_scale, o.sec_mod_scale);
  if (net_text(n.ipv4_network) != net_text(o.ipv4_network)) {
    n.ipv4_network = o.ipv4_network;
    notes->push_back("'ipv4-network' changed; it takes effect after a restart");
  }
  if (net_text(n.ipv6_network) != net_text(o.ipv6_network)) {
    n.ipv6_network = o.ipv6_network;
    notes->push_back("'ipv6-network' changed; it takes effect after a restart");
  }
  if (bool(n.acct) != bool(o.acct)) {
    n.acct = o.acct;
    notes->push_back("'acct' was added or removed; that takes effect after a restart");
  }
  if (std::string why = sessions_.pool_conflict(n); !why.empty()) {
    *error = why;
    return false;
  }
  ipc::MainToSecMod m;
  m.mutable_reload()->set_config_path(s_.config_path);
  m.mutable_reload()->set_config_text(next.config_text);
  if (!secmod_out_.send(m)) {
    *error = "cannot reach sec-mod";
    return false;
  }
  bool collector_changed =
      n.nvm_store != o.nvm_store || n.nvm_gateway_name != o.nvm_gateway_name ||
      n.nvm_retention_days != o.nvm_retention_days || n.nvm_retention_mb != o.nvm_retention_mb ||
      n.nvm_anonymize_users != o.nvm_anonymize_users || n.nvm_truncate_args != o.nvm_truncate_args ||
      n.nvm_drop_private_destinations != o.nvm_drop_private_destinations ||
      n.nvm_store_unattributed != o.nvm_store_unattributed ||
      n.nvm_store_dst_index != o.nvm_store_dst_index || n.nvm_exporters.size() != o.nvm_exporters.size() ||
      n.isolate_workers != o.isolate_workers || n.nvm_dtls != o.nvm_dtls || n.nvm_dtls_ca != o.nvm_dtls_ca ||
      (n.nvm_dtls && next.certs.chain_pem != s_.certs.chain_pem);
  for (size_t i = 0; !collector_changed && i < n.nvm_exporters.size(); ++i)
    collector_changed = n.nvm_exporters[i].to_string() != o.nvm_exporters[i].to_string();
  s_.config = std::make_shared<const Config>(std::move(n));
  sessions_.reconfigure(s_.config);
  // The collector takes its settings at start: a changed one restarts it (its sockets stay).
  if (collector_changed && collector_pid_ > 0) {
    log_.info("reload: the NVM collector's settings changed; restarting it");
    stop_collector();
  }
  s_.config_text = std::move(next.config_text);
  s_.certs = std::move(next.certs);
  s_.vhost_certs = std::move(next.vhost_certs);
  reload_certs_.push_back(current_certs());
  send_zygote_cert_chains();
  s_.openvpn_wrap_key = std::move(next.openvpn_wrap_key);
  s_.openvpn_v2_key = std::move(next.openvpn_v2_key);
  bans_.configure(BanSettings{cfg().max_ban_score, cfg().ban_time, cfg().ban_reset_time});
  admission_.set_limits(admission_limits());
  start_status_timer();
  log_.info("configuration reloaded from ", s_.config_path, "; connected sessions keep their settings");
  for (const auto& note : *notes) log_.warn("reload: ", note);
  return true;
}

Server::HostsCerts Server::current_certs() const {
  HostsCerts h{s_.certs, s_.vhost_certs, {}};
  for (const auto& v : cfg().vhosts) h.vhost_names.push_back(v.name);
  return h;
}

void Server::on_secmod_reloaded(const ipc::SecModReloaded& m) {
  if (reload_certs_.empty()) {
    log_.error("sec-mod answered a reload main did not ask for");
    return;
  }
  HostsCerts answered = std::move(reload_certs_.front());
  reload_certs_.pop_front();
  if (m.keys_loaded()) keys_certs_ = std::move(answered);
  // A later reload still waits for its answer: that answer decides.
  if (m.keys_loaded() || !reload_certs_.empty()) return;
  if (current_certs().vhost_names != keys_certs_.vhost_names) {
    log_.error(
        "reload: sec-mod kept its previous keys, and the virtual hosts changed: hosts whose "
        "server-cert changed fail their handshakes until a reload with matching files");
    return;
  }
  log_.error(
      "reload: sec-mod kept its previous keys; so are the certificates that match them kept, with "
      "their OCSP responses (fix server-cert/server-key and reload)");
  s_.certs = keys_certs_.certs;
  s_.vhost_certs = keys_certs_.vhost_certs;
  send_zygote_cert_chains();
}

}  // namespace sslvpn::mainproc
