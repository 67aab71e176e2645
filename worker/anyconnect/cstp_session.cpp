#include "worker/anyconnect/cstp_session.hpp"

#include "worker/tunnel/traffic_policy.hpp"

#include <algorithm>
#include <cstring>

namespace sslvpn::cstp {
namespace {

using std::chrono::seconds;

}  // namespace

SessionSettings settings_from(const ipc::TunnelParams& p) {
  SessionSettings s;
  s.dpd_s = p.dpd();
  s.idle_timeout_s = p.idle_timeout();
  s.session_limit_s = p.session_timeout() ? std::max<uint32_t>(p.session_remaining(), 1) : 0;
  s.dtls_silence_s = p.dtls().switch_to_tcp_timeout();
  if (auto a = parse_ip(p.ipv4_address())) s.ipv4 = *a;
  if (auto a = parse_ip(p.ipv6_address())) s.ipv6 = IpNet{*a, static_cast<uint8_t>(p.ipv6_prefix())};
  if (s.ipv6) s.ipv6 = parse_ip_net(s.ipv6->to_string());  // clear host bits
  for (const auto& d : p.allowed_destinations())
    if (auto n = parse_ip_net(d)) s.allowed_destinations.push_back(*n);
  s.ports = tunnel::port_filter_from(p.restrict_to_ports());
  s.no_compress_limit = p.no_compress_limit();
  return s;
}

void choose_compression(const ipc::TunnelParams& p, std::string_view cstp_offer, std::string_view dtls_offer,
                        bool dtls, SessionSettings* s) {
  std::vector<Codec> ours;
  for (int c : p.compression())
    if (c == ipc::COMPRESSION_LZ4 || c == ipc::COMPRESSION_LZS)
      ours.push_back(c == ipc::COMPRESSION_LZ4 ? Codec::Lz4 : Codec::Lzs);
  s->cstp_codec = choose_codec(cstp_offer, ours);
  s->dtls_codec = dtls ? choose_codec(dtls_offer, ours) : Codec::None;
}

CstpSession::CstpSession(SessionSettings s, Clock::time_point now)
    : s_(std::move(s)), start_(now), last_rx_(now), last_data_(now), last_dpd_sent_(now) {
  if (s_.cstp_codec != Codec::None || s_.dtls_codec != Codec::None) {
    packed_ = std::make_unique<uint8_t[]>(kHeaderSize + kMaxPayload);
    unpacked_ = std::make_unique<uint8_t[]>(kMaxDecompressed);
  }
}

void CstpSession::on_stream_record(std::span<const uint8_t> record, Clock::time_point now, Sink& sink) {
  if (ended()) return;
  last_rx_ = now;
  while (!record.empty()) {
    size_t used = 0;
    auto f = parse_frame(record, &used);
    if (!f.ok()) {
      // A frame split across records, or garbage: openconnect never sends either.
      end(EndReason::SessionEnd_Reason_ERROR);
      return;
    }
    on_frame(*f, Channel::Tls, now, sink);
    record = record.subspan(used);
  }
}

void CstpSession::on_datagram(std::span<const uint8_t> record, Clock::time_point now, Sink& sink) {
  if (ended() || record.empty()) return;
  last_rx_ = now;
  last_dtls_rx_ = now;
  dtls_up_ = true;
  on_frame(Frame{static_cast<PacketType>(record[0]), record.subspan(kDtlsHeaderSize)}, Channel::Dtls, now,
           sink);
}

void CstpSession::datagram_established(Clock::time_point now) {
  dtls_up_ = true;
  last_dtls_rx_ = now;
}

bool CstpSession::source_allowed(std::span<const uint8_t> p) const {
  return tunnel::source_allowed(p, s_.ipv4, s_.ipv6);
}

void CstpSession::on_frame(const Frame& f, Channel ch, Clock::time_point now, Sink& sink) {
  switch (f.type) {
    case PacketType::Data:
      if (ch == Channel::Tls) dtls_up_ = false;  // the client sends over CSTP: its DTLS is down
      if (!source_allowed(f.payload) || !tunnel::destination_allowed(f.payload, s_.allowed_destinations) ||
          !tunnel::ports_allowed(f.payload, s_.ports)) {
        ++dropped_;  // spoofed source, a family the client was not given, or a barred destination or port
        return;
      }
      bytes_in_ += f.payload.size();
      last_data_ = now;
      sink.to_tun(f.payload);
      return;
    case PacketType::DpdRequest:
      // Echo the payload unchanged: clients use padded DPD requests as MTU probes.
      send_control(PacketType::DpdResponse, f.payload, ch, sink);
      return;
    case PacketType::DpdResponse:
    case PacketType::Keepalive:
      return;
    case PacketType::Disconnect:
    case PacketType::Terminate:
      end(EndReason::SessionEnd_Reason_USER_DISCONNECT);
      return;
    case PacketType::Compressed: {
      Codec c = ch == Channel::Tls ? s_.cstp_codec : s_.dtls_codec;
      if (c == Codec::None) {  // not negotiated on this channel: a protocol error
        end(EndReason::SessionEnd_Reason_ERROR);
        return;
      }
      auto n = decompress(c, f.payload, std::span<uint8_t>(unpacked_.get(), kMaxDecompressed));
      if (!n) {  // malformed: dropped, as openconnect does
        ++dropped_;
        return;
      }
      ++compressed_in_;
      on_frame(Frame{PacketType::Data, std::span<const uint8_t>(unpacked_.get(), *n)}, ch, now, sink);
      return;
    }
  }
  ++dropped_;  // unknown type: ignore
}

void CstpSession::send_control(PacketType type, std::span<const uint8_t> payload, Channel ch, Sink& sink) {
  size_t n = std::min(payload.size(), kMaxPayload);
  if (n) std::memcpy(control_ + kHeaderSize, payload.data(), n);
  if (ch == Channel::Dtls) {
    control_[kHeaderSize - kDtlsHeaderSize] = static_cast<uint8_t>(type);
    sink.to_datagram(std::span<const uint8_t>(control_ + kHeaderSize - kDtlsHeaderSize, kDtlsHeaderSize + n));
    return;
  }
  write_header(std::span<uint8_t, kHeaderSize>(control_, kHeaderSize), type, static_cast<uint16_t>(n));
  sink.to_stream(std::span<const uint8_t>(control_, kHeaderSize + n));
}

// Compresses into packed_ (the original stays in the caller's buffer: a datagram that cannot
// be sent is framed again for the stream).
std::span<const uint8_t> CstpSession::compress_packet(Codec c, std::span<const uint8_t> packet,
                                                      size_t type_room) {
  if (c == Codec::None || packet.size() <= s_.no_compress_limit || packet.size() > kMaxPayload) return {};
  auto n = compress(c, packet, std::span<uint8_t>(packed_.get() + kHeaderSize, packet.size()));
  if (!n) return {};
  ++compressed_out_;
  uint8_t* start = packed_.get() + kHeaderSize - type_room;
  if (type_room == kDtlsHeaderSize)
    *start = static_cast<uint8_t>(PacketType::Compressed);
  else
    write_header(std::span<uint8_t, kHeaderSize>(start, kHeaderSize), PacketType::Compressed,
                 static_cast<uint16_t>(*n));
  return std::span<const uint8_t>(start, type_room + *n);
}

std::span<const uint8_t> CstpSession::frame_datagram(std::span<uint8_t> buf, size_t len,
                                                     Clock::time_point now) {
  bytes_out_ += len;
  last_data_ = now;
  auto packed = compress_packet(s_.dtls_codec, buf.subspan(kHeaderSize, len), kDtlsHeaderSize);
  if (!packed.empty()) return packed;
  buf[kHeaderSize - kDtlsHeaderSize] = static_cast<uint8_t>(PacketType::Data);
  return buf.subspan(kHeaderSize - kDtlsHeaderSize, kDtlsHeaderSize + len);
}

std::span<const uint8_t> CstpSession::frame_stream(std::span<uint8_t> buf, size_t len,
                                                   Clock::time_point now) {
  bytes_out_ += len;
  last_data_ = now;
  auto packed = compress_packet(s_.cstp_codec, buf.subspan(kHeaderSize, len), kHeaderSize);
  if (!packed.empty()) return packed;
  write_header(buf.first<kHeaderSize>(), PacketType::Data, static_cast<uint16_t>(len));
  return buf.first(kHeaderSize + len);
}

void CstpSession::on_tick(Clock::time_point now, Sink& sink) {
  if (ended()) return;
  if (s_.session_limit_s && now - start_ >= seconds(s_.session_limit_s))
    return end(EndReason::SessionEnd_Reason_SESSION_TIMEOUT);
  if (s_.idle_timeout_s && now - last_data_ >= seconds(s_.idle_timeout_s))
    return end(EndReason::SessionEnd_Reason_IDLE_TIMEOUT);
  if (dtls_up_ && dtls_silence_limit().count() && now - last_dtls_rx_ >= dtls_silence_limit())
    dtls_up_ = false;
  if (s_.dpd_s) {
    auto silent = now - last_rx_;
    if (silent >= seconds(s_.dpd_s) * kDpdDeadIntervals) return end(EndReason::SessionEnd_Reason_DPD_TIMEOUT);
    if (silent >= seconds(s_.dpd_s) && now - last_dpd_sent_ >= seconds(s_.dpd_s)) {
      send_control(PacketType::DpdRequest, {}, Channel::Tls, sink);
      last_dpd_sent_ = now;
    }
  }
}

void CstpSession::send_goodbye(Sink& sink) {
  static constexpr uint8_t kReason[] = {kDisconnectUserLogout};
  send_control(PacketType::Disconnect, kReason, Channel::Tls, sink);
}

void CstpSession::terminate(EndReason why, bool tell_client, Sink& sink) {
  if (ended()) return;
  if (tell_client) send_goodbye(sink);
  end(why);
}

std::chrono::seconds CstpSession::dtls_silence_limit() const {
  return s_.dtls_silence_s ? seconds(s_.dtls_silence_s) : seconds(s_.dpd_s) * kDpdDeadIntervals;
}

Clock::time_point CstpSession::next_deadline() const {
  auto far = Clock::time_point::max();
  auto d = far;
  if (s_.session_limit_s) d = std::min(d, start_ + seconds(s_.session_limit_s));
  if (s_.idle_timeout_s) d = std::min(d, last_data_ + seconds(s_.idle_timeout_s));
  if (s_.dpd_s) {
    auto probe = std::max(last_rx_, last_dpd_sent_) + seconds(s_.dpd_s);
    d = std::min({d, probe, last_rx_ + seconds(s_.dpd_s) * kDpdDeadIntervals});
  }
  if (dtls_up_ && dtls_silence_limit().count()) {
    d = std::min(d, last_dtls_rx_ + dtls_silence_limit());
  }
  return d;
}

}  // namespace sslvpn::cstp
