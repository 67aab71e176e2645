// The worker shell's GlobalProtect part: carries out GpFlow's steps (sec-mod, main), answers
// getconfig with the session main granted and fresh ESP keys, and runs the tunnel.
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "worker/connection.hpp"
#include "worker/gp/esp_channel.hpp"
#include "worker/gp/gp_session.hpp"
#include "worker/tunnel/tunnel_loop.hpp"

namespace sslvpn::worker {
namespace {

// What a GlobalProtect tunnel adds per packet over TLS: the 16-byte frame (ESP adds about as
// much: SPI, sequence, IV, padding and ICV, less the TCP header it does without).
constexpr size_t kGpFrameOverhead = gp::kFrameHeader;

}  // namespace

std::string Connection::local_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(tls_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0 || ss.ss_family != AF_INET)
    return {};
  char buf[INET_ADDRSTRLEN];
  if (!::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf)) return {};
  return buf;
}

bool Connection::carry_out_gp(gp::Step step) {
  for (int round = 0; round < 4; ++round) {  // a certificate-first login takes two sec-mod calls
    switch (step.kind) {
      case gp::Step::Kind::Reply:
        if (!tls_.send(http::serialize(step.reply))) return false;
        return !step.reply.close && gp_->state() != gp::GpFlow::State::Closed;
      case gp::Step::Kind::AskSecMod: {
        auto reply = secmod_.auth(step.request);
        if (!reply.ok()) {
          log_.error("sec-mod did not answer a login: ", errc_name(reply.error()));
          (void)tls_.send(http::serialize(http::error_response(503)));
          return false;
        }
        step = gp_->on_secmod_reply(*reply);
        continue;
      }
      case gp::Step::Kind::Logout: {
        auto ok = secmod_.logout(step.cookie.authcookie);
        if (!ok.ok()) return false;
        log_.info("logout.esp for '", step.cookie.user, "': ", *ok ? "session ended" : "no such session");
        step = gp_->on_logout_reply(*ok);
        continue;
      }
      case gp::Step::Kind::GetConfig:
        gp_getconfig(step);
        return false;
      case gp::Step::Kind::Tunnel:
        gp_tunnel(step);
        return false;
    }
  }
  return false;
}

void Connection::gp_getconfig(gp::Step& step) {
  step.session_request.set_transport_overhead(
      static_cast<uint32_t>(tls_.record_overhead() + kGpFrameOverhead));
  auto rep = ask_session(step.session_request);
  if (!rep || !rep->first.ok() || !rep->second.valid()) {
    // A cookie that is not (or no longer) a session stops the client; anything else it retries.
    bool bad = rep && !rep->first.ok() && rep->first.refusal() == ipc::SessionReply::BAD_SESSION;
    http::Response resp =
        bad ? gp::xml_reply(gp::error_reply("Invalid authentication cookie")) : http::error_response(503);
    resp.close = true;
    (void)tls_.send(http::serialize(resp));
    return;
  }
  const ipc::TunnelParams& p = rep->first.params();
  std::string gw = local_address();
  if (gw.empty()) gw = p.ipv4_local();
  // ESP: a fresh SA each way on every getconfig (the client discards its old one first).
  std::unique_ptr<gp::EspSa> esp_in, esp_out;
  std::optional<gp::EspKeyMaterial> c2s, s2c;
  gp::EspCipher enc{};
  gp::EspMac mac{};
  if (p.has_esp() && !p.ipv4_address().empty() &&
      gp::choose_esp_algorithms(step.enc_algos, step.mac_algos, &enc, &mac)) {
    auto a = gp::random_esp_keys(p.esp().c2s_spi(), enc, mac);
    auto b = gp::random_esp_keys(p.esp().s2c_spi(), enc, mac);
    if (a.ok() && b.ok()) {
      auto in = gp::EspSa::create(*a);
      auto out = gp::EspSa::create(*b);
      if (in.ok() && out.ok()) {
        esp_in = std::move(in).value();
        esp_out = std::move(out).value();
        c2s = std::move(a).value();
        s2c = std::move(b).value();
      }
    }
  }
  gp::EspOffer offer{static_cast<uint16_t>(p.esp().udp_port()), c2s ? &*c2s : nullptr, s2c ? &*s2c : nullptr};
  uint32_t timeout = p.rekey_time() >= 120 ? p.rekey_time() : 0;
  http::Response resp = gp::xml_reply(gp::getconfig_reply(p, gw, timeout, esp_in ? &offer : nullptr));
  c2s.reset();  // the keys live on only inside the SAs
  s2c.reset();
  if (!tls_.send(http::serialize(resp)) || !tls_.enter_tunnel_mode()) return;
  log_.debug("GlobalProtect tunnel on ", p.device(), " for ", p.ipv4_address(), " ", p.ipv6_address(),
             ", MTU ", p.mtu(), esp_in ? ", ESP offered" : ", HTTPS only");
  gp::GpSessionSettings settings = gp::gp_settings_from(p, gw);
  settings.authcookie = step.cookie.authcookie;
  settings.user = step.cookie.user;
  settings.hip_report = gp_->settings().hip_report;
  std::string desc =
      esp_in ? std::string("ESP ") + gp::esp_cipher_name(enc) + " hmac-" + gp::esp_mac_name(mac) : "";
  gp::GpSession engine(std::move(settings), tunnel::Clock::now(), std::move(esp_out), false);
  std::unique_ptr<tunnel::DatagramFactory> factory;
  if (esp_in) factory = std::make_unique<gp::EspFactory>(std::move(esp_in), desc);
  tunnel::TunnelLoop loop(log_, tls_, engine, std::move(rep->second), main_, p, std::move(factory));
  ::malloc_trim(0);
  ipc::WorkerToMain end;
  *end.mutable_session_end() = loop.run();
  (void)main_.send(end);
}

void Connection::gp_tunnel(gp::Step& step) {
  step.session_request.set_transport_overhead(
      static_cast<uint32_t>(tls_.record_overhead() + kGpFrameOverhead));
  auto rep = ask_session(step.session_request);
  if (!rep || !rep->first.ok() || !rep->second.valid()) {
    // 502 with a reason phrase: the client stops (EPERM) rather than retry a dead session.
    http::Response resp = http::error_response(502);
    (void)tls_.send(http::serialize(resp));
    return;
  }
  const ipc::TunnelParams& p = rep->first.params();
  std::string gw = local_address();  // the gw-address the client was given with getconfig
  gp::GpSessionSettings settings = gp::gp_settings_from(p, gw.empty() ? p.ipv4_local() : gw);
  settings.authcookie = step.cookie.authcookie;
  settings.user = step.cookie.user;
  static constexpr char kStart[] = "START_TUNNEL";
  if (!tls_.send(std::string_view(kStart, 12)) || !tls_.enter_tunnel_mode()) return;
  log_.debug("GlobalProtect HTTPS tunnel on ", p.device(), " for ", p.ipv4_address(), " ", p.ipv6_address());
  gp::GpSession engine(std::move(settings), tunnel::Clock::now(), nullptr, true);
  tunnel::TunnelLoop loop(log_, tls_, engine, std::move(rep->second), main_, p, nullptr);
  ::malloc_trim(0);
  ipc::WorkerToMain end;
  *end.mutable_session_end() = loop.run();
  (void)main_.send(end);
}

}  // namespace sslvpn::worker
