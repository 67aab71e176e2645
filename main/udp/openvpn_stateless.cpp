#include "main/udp/openvpn_stateless.hpp"

#include <gnutls/crypto.h>

#include <cstring>

#include "worker/openvpn/tls_crypt_v2.hpp"

namespace sslvpn::mainproc::udp {
namespace {

using ovpn::Op;

// A tls-crypt-v2 client of openvpn 2.6 or later starts its replay ids at 0x0f000000: it
// supports early negotiation, hence sending its wrapped key again with its first control
// packet (openvpn's mudp.c: "all clients that support early negotiation and tls-crypt are
// assumed to also support resending the WKc").
bool early_negotiation(std::span<const uint8_t> d) {
  auto rp = ovpn::ControlWrap::replay_of(d, ovpn::WrapMode::Crypt);
  return rp.ok() && (rp->first & 0xff000000u) == 0x0f000000u;
}

}  // namespace

OvpnStateless::OvpnStateless(std::array<uint8_t, 32> secret, ovpn::WrapKeys keys, uint32_t hand_window,
                             std::string v2_server_key, std::shared_ptr<OldClientResets> old_clients)
    : secret_(secret),
      wrap_(std::move(keys), 0),
      v2_key_(v2_server_key),
      slot_len_(std::max<uint32_t>((hand_window + 1) / 2, 1)),
      old_clients_(std::move(old_clients)) {
  wipe_string(v2_server_key);
}

ovpn::SessionId OvpnStateless::cookie(uint64_t slot, std::string_view peer,
                                      const ovpn::SessionId& client) const {
  std::string msg(8, '\0');
  for (int i = 0; i < 8; ++i) msg[static_cast<size_t>(i)] = static_cast<char>(slot >> (56 - 8 * i));
  msg.append(peer);
  msg.push_back('\0');
  msg.append(reinterpret_cast<const char*>(client.data()), client.size());
  uint8_t mac[32];
  (void)gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret_.data(), secret_.size(), msg.data(), msg.size(), mac);
  ovpn::SessionId out;
  std::memcpy(out.data(), mac, out.size());
  return out;
}

OvpnDecision OvpnStateless::on_datagram(std::span<const uint8_t> d, std::string_view peer, uint64_t now) {
  OvpnDecision out;
  if (d.empty() || ovpn::key_id_of(d[0]) != 0) return out;
  Op op = ovpn::op_of(d[0]);
  if (v2_key_.empty()) {
    if (op != Op::HardResetClientV2 && op != Op::ControlV1 && op != Op::AckV1) return out;
    return decide(wrap_, d, peer, now, false);
  }
  // tls-crypt-v2: only packets that carry the client's wrapped key (the reset and the first
  // control packet after our reset) can be checked without state.
  if (op != Op::HardResetClientV3 && op != Op::ControlWkcV1) return out;
  auto parts = ovpn::split_wkc(d);
  if (!parts.ok()) return out;
  auto key = ovpn::unwrap_client_key(v2_key_.view(), parts->second);
  if (!key.ok()) {
    if (key.error() == Errc::Denied) ++bad_hmac_;
    return out;
  }
  ovpn::ControlWrap client_wrap(ovpn::tls_crypt_keys(key->kc.view()), 0);
  out = decide(client_wrap, d, peer, now, true);
  if (out.kind == OvpnDecision::Kind::Start) {
    out.client_key = std::string(key->kc.view());
    out.metadata = std::move(key->metadata);
  }
  return out;
}

OvpnDecision OvpnStateless::decide(ovpn::ControlWrap& wrap, std::span<const uint8_t> d, std::string_view peer,
                                   uint64_t now, bool v2) {
  OvpnDecision out;
  Op op = ovpn::op_of(d[0]);
  // The HMAC (tls-auth, tls-crypt) is checked first; replays are the worker's business (a
  // replayed reset costs one reply, as a fresh one does; main answers an id at most twice a
  // second: ResetReplies).
  auto plain = wrap.unwrap(d, false);
  if (!plain.ok()) {
    if (plain.error() == Errc::Denied) ++bad_hmac_;
    return out;
  }
  auto p = ovpn::parse_control(*plain);
  if (!p.ok()) return out;
  uint64_t slot = now / slot_len_;
  if (op == Op::HardResetClientV2 || op == Op::HardResetClientV3) {
    if (!p->msg_id || *p->msg_id != 0 || !p->acks.empty()) return out;
    // Without state, a tls-crypt-v2 client must send its key again: only clients that say
    // they will (openvpn 2.6 and later) are answered; older ones start from their reset.
    if (v2 && !early_negotiation(d)) return old_v2_client(d, p->sid, now);
    ovpn::ControlPacket r;
    r.op = ovpn::op_byte(Op::HardResetServerV2, 0);
    r.sid = cookie(slot, peer, p->sid);
    r.acks = {0};
    r.ack_sid = p->sid;
    r.msg_id = 0;
    if (v2) r.payload = ovpn::early_negotiation_resend_wkc();
    out.kind = OvpnDecision::Kind::Reply;
    out.client_sid = p->sid;
    // Replay id 1 at this second: the worker goes on from id 2 at the same time.
    out.reply = wrap.wrap_at(ovpn::serialize_control(r), 1, static_cast<uint32_t>(now));
    return out;
  }
  if (p->acks.empty()) return out;
  // Our reset was sent in one of the last slots (openvpn checks -2..+1 around now).
  for (int64_t off = -2; off <= 1; ++off) {
    uint64_t s = slot + static_cast<uint64_t>(off);
    if (gnutls_memcmp(cookie(s, peer, p->sid).data(), p->ack_sid.data(), 8) == 0) {
      out.kind = OvpnDecision::Kind::Start;
      out.client_sid = p->sid;
      out.server_sid = p->ack_sid;
      // Replies made in slot s used some second of it; the worker uses a later one.
      out.wrap_time = static_cast<uint32_t>(now);
      return out;
    }
  }
  ++bad_cookie_;
  return out;
}

OvpnDecision OvpnStateless::old_v2_client(std::span<const uint8_t> d, const ovpn::SessionId& sid,
                                          uint64_t now) {
  OvpnDecision out;
  if (!old_clients_) {
    ++old_v2_refused_;
    return out;
  }
  // The reset authenticated under a key our server key made, but anyone who saw it can send
  // it again from any address: it must be fresh (its wrap time is the client's clock, so a
  // few minutes either way), and its session id must not have started a worker already.
  auto rp = ovpn::ControlWrap::replay_of(d, ovpn::WrapMode::Crypt);
  uint64_t t = rp.ok() ? rp->second : 0;
  if (t + OldClientResets::kAge < now || t > now + OldClientResets::kAge) {
    ++old_v2_refused_;
    return out;
  }
  if (old_clients_->seen(sid, now)) {
    ++old_v2_replayed_;
    return out;
  }
  if (!old_clients_->may_start(now)) {
    ++old_v2_refused_;
    return out;
  }
  out.kind = OvpnDecision::Kind::Start;
  out.from_reset = true;
  out.client_sid = sid;
  out.wrap_time = static_cast<uint32_t>(now);
  return out;
}

std::optional<OvpnTcpClientKey> tcp_v3_client_key(std::span<const uint8_t> peeked,
                                                  std::string_view v2_server_key) {
  if (peeked.size() < 3) return std::nullopt;
  size_t len = size_t{peeked[0]} << 8 | peeked[1];
  if (len == 0 || len + 2 > peeked.size()) return std::nullopt;  // empty, or not whole yet
  auto pkt = peeked.subspan(2, len);
  if (ovpn::op_of(pkt[0]) != ovpn::Op::HardResetClientV3) return std::nullopt;
  auto parts = ovpn::split_wkc(pkt);
  if (!parts.ok()) return std::nullopt;
  auto key = ovpn::unwrap_client_key(v2_server_key, parts->second);
  if (!key.ok()) return std::nullopt;
  ovpn::ControlWrap check(ovpn::tls_crypt_keys(key->kc.view()), 0);
  if (!check.unwrap(pkt, false).ok()) return std::nullopt;
  return OvpnTcpClientKey{std::string(key->kc.view()), {key->metadata.begin(), key->metadata.end()}};
}

}  // namespace sslvpn::mainproc::udp
