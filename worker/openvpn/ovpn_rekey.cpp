// OvpnSession's renegotiation (protocols.md C11): a SOFT_RESET_V1 on key id k+1 opens a new key
// state with its own TLS session and message ids; the client's key-method-2 message must carry
// the session's user name and the auth-token we pushed (or the TLS handshake the certificate
// the login used); its keys come from the new session's exporter (or, for a client without
// it, openvpn's PRF over the new key-method messages). The new key carries our data
// once our key-method message is acknowledged; the old one keeps decrypting for the transition
// window. A renegotiation that fails or does not finish within the hand window is dropped and
// the live key goes on (a forged soft reset costs the session nothing).
#include <gnutls/gnutls.h>

#include "worker/openvpn/key_method.hpp"
#include "worker/openvpn/key_prf.hpp"
#include "worker/openvpn/ovpn_session.hpp"

namespace sslvpn::ovpn {
namespace {

uint8_t next_key_id(uint8_t k) {
  return k >= 7 ? 1 : static_cast<uint8_t>(k + 1);  // 0 is only the first key's
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && gnutls_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<SecretBytes> data_key_material(const worker::TlsServer& tls, bool prf, const ClientKeyMethod& client,
                                      const ServerKeyMethod& server, const ControlChannel& ctl) {
  if (!prf) return tls.export_key("EXPORTER-OpenVPN-datakeys", kKeyMaterial);
  return prf_key_material(client.pre_master, KeySource{client.random1, client.random2},
                          KeySource{server.random1, server.random2}, ctl.peer_sid(), ctl.own_sid());
}

ControlChannel* OvpnSession::channel_for(uint8_t op, Clock::time_point now) {
  uint8_t kid = key_id_of(op);
  if (kid == ctl_->key_id()) return ctl_;
  if (next_ && kid == next_->ctl->key_id()) return next_->ctl.get();
  if (retired_ && kid == retired_->key_id()) return retired_;
  // The client opens a renegotiation on the next key id.
  if (!next_ && op_of(op) == Op::SoftResetV1 && kid == next_key_id(ctl_->key_id()) && s_.make_tls) {
    start_key_state(false, now);
    return next_ ? next_->ctl.get() : nullptr;
  }
  return nullptr;
}

void OvpnSession::start_key_state(bool ours_first, Clock::time_point now) {
  if (!s_.make_tls) return;
  KeyState k;
  k.tls = s_.make_tls();
  if (!k.tls) return;
  k.ctl = std::make_unique<ControlChannel>(ctl_->wrap(), *k.tls, ctl_->tcp(), ctl_->own_sid());
  k.ctl->start_key_state(next_key_id(ctl_->key_id()), ctl_->peer_sid(), ours_first);
  k.started = now;
  next_ = std::move(k);
}

bool OvpnSession::renegotiation_auth_ok(const ClientKeyMethod& km) {
  bool ok = false;
  if (!s_.token.empty() && km.has_credentials)
    ok = km.username == s_.username && equal_ct(km.password.view(), s_.token);
  if (!ok && !s_.cert_leaf.empty()) {
    auto certs = next_->tls->peer_certificates();
    ok = !certs.empty() && equal_ct(certs.front(), s_.cert_leaf);
  }
  return ok;
}

void OvpnSession::advance_key_state(Clock::time_point now) {
  KeyState& k = *next_;
  if (k.ctl->tls_failed()) {
    next_.reset();
    return;
  }
  while (!k.got_key_method) {
    auto m = k.ctl->take_message();
    if (!m) break;
    auto km = parse_client_key_method(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m->data()), m->size()));
    wipe_string(*m);
    if (!km.ok() || !renegotiation_auth_ok(*km)) {
      next_.reset();  // not the session's client: the live key goes on
      return;
    }
    k.got_key_method = true;
    k.client_km = std::move(*km);
    k.server_km = make_server_key_method();
    if (!k.server_km || !k.ctl->send_message(k.server_km->message).ok()) {
      next_.reset();
      return;
    }
    wipe_string(k.server_km->message);
  }
  // Our key-method message is acknowledged: the client has the new keys.
  if (k.got_key_method && k.ctl->idle()) switch_keys(now);
}

void OvpnSession::switch_keys(Clock::time_point now) {
  KeyState& k = *next_;
  auto km = data_key_material(*k.tls, s_.prf_keys, *k.client_km, *k.server_km, *k.ctl);
  k.client_km.reset();
  k.server_km.reset();
  auto dc =
      km.ok() ? DataChannel::create(
                    s_.cipher,
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(km->view().data()), km->size()),
                    k.ctl->key_id(), s_.data_v2, s_.peer_id)
              : Result<DataChannel>(Errc::Crypto);
  if (!dc.ok()) {
    next_.reset();
    return;
  }
  lame_ = std::move(data_);
  lame_until_ = now + kTransitionWindow;
  data_ = std::move(*dc);
  // The live state retires (its channel still answers late packets); the new one is live.
  retired_owned_ = std::move(live_owned_);
  retired_ = ctl_;
  live_owned_ = std::move(next_);
  next_.reset();
  ctl_ = live_owned_->ctl.get();
  key_since_ = now;
  ++renegotiations_;
}

}  // namespace sslvpn::ovpn
