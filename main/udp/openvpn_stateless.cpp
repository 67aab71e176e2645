#include "main/udp/openvpn_stateless.hpp"

#include <gnutls/crypto.h>

#include <cstring>

namespace sslvpn::mainproc::udp {

using ovpn::Op;

OvpnStateless::OvpnStateless(std::array<uint8_t, 32> secret, ovpn::WrapKeys keys, uint32_t hand_window)
    : secret_(secret), wrap_(std::move(keys), 0), slot_len_(std::max<uint32_t>((hand_window + 1) / 2, 1)) {}

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
  if (op != Op::HardResetClientV2 && op != Op::ControlV1 && op != Op::AckV1) return out;
  // The HMAC (tls-auth, tls-crypt) is checked first; replays are the worker's business (a
  // replayed reset costs one reply, as a fresh one does).
  auto plain = wrap_.unwrap(d, false);
  if (!plain.ok()) {
    if (plain.error() == Errc::Denied) ++bad_hmac_;
    return out;
  }
  auto p = ovpn::parse_control(*plain);
  if (!p.ok()) return out;
  uint64_t slot = now / slot_len_;
  if (op == Op::HardResetClientV2) {
    if (!p->msg_id || *p->msg_id != 0 || !p->acks.empty()) return out;
    ovpn::ControlPacket r;
    r.op = ovpn::op_byte(Op::HardResetServerV2, 0);
    r.sid = cookie(slot, peer, p->sid);
    r.acks = {0};
    r.ack_sid = p->sid;
    r.msg_id = 0;
    out.kind = OvpnDecision::Kind::Reply;
    // Replay id 1 at this second: the worker goes on from id 2 at the same time.
    out.reply = wrap_.wrap_at(ovpn::serialize_control(r), 1, static_cast<uint32_t>(now));
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

}  // namespace sslvpn::mainproc::udp
