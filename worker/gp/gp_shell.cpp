// The worker shell's GlobalProtect part: carries out GpFlow's steps (sec-mod, main), answers
// getconfig with the session main granted and fresh ESP keys, and runs the tunnel.
#include <arpa/inet.h>
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

std::string Connection::gp_gateway_address(const ipc::TunnelParams& p) const {
  // main names the address the client reached (with listen-proxy-proto, the balancer's, not ours)
  if (gp_ && gp_->settings().local_ip.find('.') != std::string::npos) return gp_->settings().local_ip;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char buf[INET_ADDRSTRLEN];
  if (::getsockname(tls_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET &&
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf))
    return buf;
  return p.ipv4_local();
}

bool Connection::carry_out_gp(gp::Step step) {
  for (int round = 0; round < 4; ++round) {  // a certificate-first login takes two sec-mod calls
    switch (step.kind) {
      case gp::Step::Kind::Reply:
        if (!tls_.send(wire(step.reply))) return false;
        return !step.reply.close && gp_->state() != gp::GpFlow::State::Closed;
      case gp::Step::Kind::AskSecMod: {
        auto reply = secmod_.auth(step.request);
        if (!reply.ok()) {
          log_.error("sec-mod did not answer a login: ", errc_name(reply.error()));
          (void)tls_.send(wire(http::error_response(503)));
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
      case gp::Step::Kind::Tunnel:
        step.session_request.set_transport_overhead(
            static_cast<uint32_t>(tls_.record_overhead() + kGpFrameOverhead));
        if (step.kind == gp::Step::Kind::GetConfig)
          gp_getconfig(step);
        else
          gp_tunnel(step);
        return false;
    }
  }
  return false;
}

void Connection::gp_getconfig(gp::Step& step) {
  auto rep = ask_session(step.session_request);
  if (!rep || !rep->first.ok() || !rep->second.valid()) {
    // A cookie that is not (or no longer) a session stops the client; anything else it retries.
    bool bad = rep && !rep->first.ok() && rep->first.refusal() == ipc::SessionReply::BAD_SESSION;
    http::Response resp =
        bad ? gp::xml_reply(gp::error_reply("Invalid authentication cookie")) : http::error_response(503);
    resp.close = true;
    (void)tls_.send(wire(resp));
    return;
  }
  const ipc::TunnelParams& p = rep->first.params();
  std::string gw = gp_gateway_address(p);
  // ESP: a fresh SA each way on every getconfig (the client discards its old one first).
  std::optional<gp::EspPair> esp;
  gp::EspCipher enc{};
  gp::EspMac mac{};
  if (p.has_esp() && !p.ipv4_address().empty() &&
      gp::choose_esp_algorithms(step.enc_algos, step.mac_algos, &enc, &mac)) {
    if (auto pair = gp::new_esp_pair(p.esp().c2s_spi(), p.esp().s2c_spi(), enc, mac); pair.ok())
      esp = std::move(pair).value();
  }
  gp::EspOffer offer{static_cast<uint16_t>(p.esp().udp_port()), esp ? &esp->c2s : nullptr,
                     esp ? &esp->s2c : nullptr};
  uint32_t timeout = p.rekey_time() >= 120 ? p.rekey_time() : 0;
  http::Response resp = gp::xml_reply(gp::getconfig_reply(p, gw, timeout, esp ? &offer : nullptr));
  if (esp) {  // the keys live on only inside the SAs
    esp->c2s = {};
    esp->s2c = {};
  }
  if (!tls_.send(wire(resp)) || !tls_.enter_tunnel_mode()) return;
  log_.debug("GlobalProtect tunnel on ", p.device(), " for ", p.ipv4_address(), " ", p.ipv6_address(),
             ", MTU ", p.mtu(), esp ? ", ESP offered" : ", HTTPS only");
  gp::GpSessionSettings settings = gp::gp_settings_from(p, gw);
  settings.authcookie = step.cookie.authcookie;
  settings.user = step.cookie.user;
  settings.hip_report = gp_->settings().hip_report;
  settings.http_headers = http_headers_;
  gp::GpSession engine(std::move(settings), tunnel::Clock::now(), esp ? std::move(esp->out) : nullptr, false);
  std::unique_ptr<tunnel::DatagramFactory> factory;
  if (esp)
    factory =
        std::make_unique<gp::EspFactory>(std::move(esp->in), std::string("ESP ") + gp::esp_cipher_name(enc) +
                                                                 " hmac-" + gp::esp_mac_name(mac));
  run_tunnel(engine, std::move(rep->second), p, std::move(factory));
}

void Connection::gp_tunnel(gp::Step& step) {
  auto rep = ask_session(step.session_request);
  if (!rep || !rep->first.ok() || !rep->second.valid()) {
    // 502 with a reason phrase: the client stops (EPERM) rather than retry a dead session.
    (void)tls_.send(wire(http::error_response(502)));
    return;
  }
  const ipc::TunnelParams& p = rep->first.params();
  gp::GpSessionSettings settings = gp::gp_settings_from(p, gp_gateway_address(p));
  settings.authcookie = step.cookie.authcookie;
  settings.user = step.cookie.user;
  settings.http_headers = http_headers_;
  static constexpr char kStart[] = "START_TUNNEL";
  if (!tls_.send(std::string_view(kStart, 12)) || !tls_.enter_tunnel_mode()) return;
  log_.debug("GlobalProtect HTTPS tunnel on ", p.device(), " for ", p.ipv4_address(), " ", p.ipv6_address());
  gp::GpSession engine(std::move(settings), tunnel::Clock::now(), nullptr, true);
  run_tunnel(engine, std::move(rep->second), p, nullptr);
}

}  // namespace sslvpn::worker
