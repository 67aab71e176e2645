#include "worker/connection.hpp"

#include <malloc.h>

#include <array>

#include "common/hex.hpp"
#include "common/secret_bytes.hpp"
#include "worker/anyconnect/connect_reply.hpp"
#include "worker/anyconnect/cstp_session.hpp"
#include "worker/http/router.hpp"
#include "worker/tunnel/tunnel_loop.hpp"

namespace sslvpn::worker {

int Connection::remaining_ms() const {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool Connection::read_request(http::Parsed* out) {
  std::array<uint8_t, 16384> chunk{};
  for (;;) {
    auto p = http::parse_request(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf_.data()), buf_.size()), limits_);
    if (!p.ok()) {
      int status = http::status_for_error(p.error());
      log_.info("bad HTTP request (", errc_name(p.error()), "): answering ", status);
      (void)tls_.send(wire(http::error_response(status)));
      refused_unread_ = true;
      return false;
    }
    if (p->has_value()) {
      size_t used = (*p)->consumed;
      *out = std::move(**p);
      secure_wipe(buf_.data(), used);  // may hold a password; the parsed copy is wiped by the flow
      buf_.erase(0, used);
      return true;
    }
    int wait = remaining_ms();
    if (wait == 0) {
      log_.info("auth-timeout reached; closing");
      return false;
    }
    auto n = tls_.recv(chunk, wait);
    if (!n.ok()) {
      if (n.error() == Errc::Timeout)
        log_.info("auth-timeout reached; closing");
      else if (n.error() != Errc::Closed)
        log_.debug("TLS receive failed: ", errc_name(n.error()));
      return false;
    }
    buf_.append(reinterpret_cast<const char*>(chunk.data()), *n);
    secure_wipe(chunk.data(), *n);
  }
}

std::optional<DtlsSetup> Connection::choose_dtls(const ipc::TunnelParams& p, anyconnect::DtlsOffer& offer,
                                                 cstp::DtlsReply* reply) {
  if (!p.has_dtls() || p.dtls().udp_port() == 0) return std::nullopt;
  const ipc::DtlsParams& d = p.dtls();
  std::string id_hex = hex_encode(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(d.session_id().data()), d.session_id().size()));
  DtlsSetup setup;
  // The client's own arithmetic (gnutls-dtls.c): base MTU minus IP and UDP headers.
  setup.udp_mtu = p.base_mtu() - (client_ipv6_ ? 40 : 20) - 8;
  if (d.psk() && cstp::offers_psk_negotiate(offer.ciphersuites)) {
    auto key = tls_.export_key("EXPORTER-openconnect-psk", 32);
    if (!key.ok()) return std::nullopt;
    setup.psk = std::move(key).value();
    setup.psk_source = [this]() -> std::optional<SecretBytes> {
      auto k = tls_.export_key("EXPORTER-openconnect-psk", 32);
      if (!k.ok()) return std::nullopt;
      return std::move(k).value();
    };
    if (d.match_tls_ciphers()) setup.psk_cipher = tls_.cipher_name();
    reply->enabled = true;
    reply->app_id_hex = id_hex;
    return setup;
  }
  auto master = hex_decode(offer.master_secret);
  wipe_string(offer.master_secret);
  const LegacyCipher* cipher = choose_legacy_cipher(offer.ciphersuites, offer.ciphersuites12);
  if (!d.legacy() || !master || master->size() != 48 || cipher == nullptr) {
    if (master) wipe_string(*master);
    return std::nullopt;
  }
  setup.legacy = cipher;
  setup.master_secret = SecretBytes(*master);
  wipe_string(*master);
  setup.session_id = d.session_id();
  setup.cert = tls_.credentials();
  setup.data_mtu = p.mtu() + 1;
  reply->enabled = true;
  reply->legacy_cipher = cipher->name;
  reply->legacy_dtls12 = cipher->dtls12_header;
  reply->session_id_hex = id_hex;
  return setup;
}

std::optional<std::pair<ipc::SessionReply, UniqueFd>> Connection::ask_session(ipc::SessionRequest& req) {
  ipc::WorkerToMain ask;
  ask.mutable_session_request()->Swap(&req);
  auto sent = main_.send(ask);
  auto rep = sent ? main_.recv<ipc::MainToWorker>(false)
                  : Result<std::pair<ipc::MainToWorker, UniqueFd>>(sent.error());
  if (!rep.ok() || rep->first.msg_case() != ipc::MainToWorker::kSessionReply) {
    log_.error("main did not answer the tunnel request");
    return std::nullopt;
  }
  return std::make_pair(std::move(*rep->first.mutable_session_reply()), std::move(rep->second));
}

void Connection::connect(ipc::SessionRequest& req, anyconnect::DtlsOffer& offer) {
  req.set_transport_overhead(static_cast<uint32_t>(tls_.record_overhead() + cstp::kHeaderSize));
  auto rep = ask_session(req);
  if (!rep) {
    (void)send_reply(http::error_response(503));
    return;
  }
  const ipc::SessionReply& r = rep->first;
  if (!r.ok() || !rep->second.valid()) {
    // AnyConnect's answers: 401 tells the client its session is over, 503 that it may retry.
    http::Response resp =
        http::error_response(!r.ok() && r.refusal() == ipc::SessionReply::BAD_SESSION ? 401 : 503);
    if (!r.reason().empty()) resp.headers.emplace_back("X-Reason", r.reason());
    (void)send_reply(std::move(resp));
    return;
  }
  const ipc::TunnelParams& p = r.params();
  cstp::DtlsReply dtls;
  std::optional<DtlsSetup> dtls_setup = choose_dtls(p, offer, &dtls);
  cstp::SessionSettings settings = cstp::settings_from(p);
  cstp::choose_compression(p, offer.cstp_encodings, offer.dtls_encodings, dtls.enabled, &settings);
  cstp::ReplyChoices choices;
  choices.compression = {codec_name(settings.cstp_codec), codec_name(settings.dtls_codec)};
  // rekey-method = ssl, as ocserv: offered to clients with safe renegotiation (RFC 5746); under
  // TLS 1.3 the client's "renegotiation" is a KeyUpdate, which GnuTLS handles by itself.
  choices.rekey_in_place = p.rekey_in_place() && p.rekey_time() != 0 && tls_.safe_renegotiation();
  choices.banner = flow_.banner();
  choices.custom_headers = flow_.custom_headers();
  // At most one renegotiation per half rekey-time (as ocserv), and never two in the same second;
  // each costs a signature, which sec-mod's per-worker budget bounds as well.
  if (choices.rekey_in_place)
    tls_.allow_renegotiation(std::chrono::seconds(std::max<uint32_t>(p.rekey_time() / 2, 1)));
  if (!tls_.send(cstp::build_connect_reply(p, "sslvpnd " SSLVPND_VERSION, dtls, choices)) ||
      !tls_.enter_tunnel_mode())
    return;
  log_.debug("tunnel up on ", p.device(), " for ", p.ipv4_address(), " ", p.ipv6_address(), ", MTU ", p.mtu(),
             dtls.enabled ? ", DTLS offered" : "");
  cstp::CstpSession engine(settings, cstp::Clock::now());
  std::unique_ptr<tunnel::DatagramFactory> dtls_factory;
  if (dtls_setup) dtls_factory = std::make_unique<DtlsFactory>(std::move(*dtls_setup));
  run_tunnel(engine, std::move(rep->second), p, std::move(dtls_factory));
  if (tls_.renegotiations() > 0)
    log_.info("the client rekeyed its TLS session in place ", tls_.renegotiations(), " times");
  if (settings.cstp_codec != cstp::Codec::None || settings.dtls_codec != cstp::Codec::None)
    log_.info("compression (CSTP ", codec_name(settings.cstp_codec), ", DTLS ",
              codec_name(settings.dtls_codec), "): ", engine.compressed_out(),
              " packets compressed to the client, ", engine.compressed_in(), " expanded from it");
}

void Connection::run_tunnel(tunnel::TunnelEngine& engine, UniqueFd tun, const ipc::TunnelParams& p,
                            std::unique_ptr<tunnel::DatagramFactory> datagrams) {
  tunnel::TunnelLoop loop(log_, tls_, engine, std::move(tun), main_, p, std::move(datagrams));
  // The login's allocations (HTTP, XML, protobuf) are gone: hand their pages back, since a
  // worker lives as long as its tunnel and every kB counts per session.
  ::malloc_trim(0);
  ipc::WorkerToMain end;
  *end.mutable_session_end() = loop.run();
  (void)main_.send(end);
}

bool Connection::carry_out(anyconnect::Step step) {
  if (step.kind == anyconnect::Step::Kind::Connect) {
    connect(step.session_request, step.dtls_offer);
    return false;
  }
  if (step.kind == anyconnect::Step::Kind::AskSecMod) {
    std::string user = step.request.has_auth_init() ? step.request.auth_init().username() : "(answer)";
    auto reply = secmod_.auth(step.request);
    if (!reply.ok()) {
      log_.error("sec-mod did not answer a login: ", errc_name(reply.error()));
      (void)send_reply(http::error_response(503));
      return false;
    }
    log_.debug("login for '", user, "': status ", static_cast<int>(reply->status()));
    step = flow_.on_secmod_reply(*reply);
  }
  bool close = step.reply.close;
  if (!send_reply(std::move(step.reply))) return false;
  return !close;
}

// The answer on the wire: the site's headers (included-http-headers); to a HEAD request, the
// head alone (its Content-Length still tells what a GET would get).
std::string Connection::wire(const http::Response& r) const {
  std::string s = http::serialize(r, http_headers_);
  if (head_request_) s.resize(s.find("\r\n\r\n") + 4);
  return s;
}

bool Connection::send_reply(http::Response r) {
  // A cookie that is no good (401) or a malformed CONNECT (4xx) is what a prober can send;
  // a 503 comes only with a good cookie (the client already knows the server).
  if (!camouflage_.secret.empty() && !camouflage_passed_ && r.status >= 400 && r.status < 500) {
    (void)tls_.send(wire(http::camouflage_405()));
    return false;  // and the connection ends, as a web server's would
  }
  return tls_.send(wire(r)).ok();
}

bool Connection::camouflage_gate(http::Request& req) {
  if (camouflage_.secret.empty() || camouflage_passed_) return true;
  if (auto target = http::camouflage_pass(req.target, camouflage_.secret)) {
    req.target = std::move(*target);
    camouflage_passed_ = true;
    return true;
  }
  // The tunnel connection carries the cookie and no query: the cookie decides (send_reply).
  // Only the tunnel's own path: any other would get the front's 404/405, which tells the
  // server's pages apart from others.
  if (req.method == "CONNECT" && http::path_of(req.target) == "/CSCOSSLC/tunnel") return true;
  log_.info("camouflage: a request without the secret (", req.method.substr(0, 16), " ",
            http::path_of(req.target).substr(0, 128), ") gets a plain web server's ",
            camouflage_.realm.empty() ? "404" : "401");
  (void)tls_.send(wire(http::camouflage_refusal(camouflage_.realm)));
  return false;
}

void Connection::run() {
  for (;;) {
    // Whatever follows the request in buf_ (pipelining) is kept for the next round.
    http::Parsed parsed;
    head_request_ = false;
    if (!read_request(&parsed)) break;
    head_request_ = parsed.request.method == "HEAD";
    log_.debug(parsed.request.method, " ", http::path_of(parsed.request.target).substr(0, 128));
    if (!camouflage_gate(parsed.request)) {
      refused_unread_ = !buf_.empty();
      break;
    }
    // The front: a path no protocol declared is 404, whatever state the login is in; the first
    // request chooses the protocol, and the connection keeps it.
    auto routed = http::route_front(parsed.request.method, parsed.request.target, gp_.has_value());
    // select-group-by-url: a login's POST to a path no protocol declared names a group.
    if (routed.engine == http::Engine::None && routed.status == 404 &&
        engine_ != http::Engine::GlobalProtect) {
      std::string path(http::path_of(parsed.request.target));
      if (auto step = flow_.on_group_url_post(parsed.request, path)) {
        engine_ = http::Engine::AnyConnect;
        if (!carry_out(std::move(*step))) break;
        continue;
      }
    }
    if (routed.engine == http::Engine::None || (engine_ != http::Engine::None && routed.engine != engine_)) {
      log_.info("no such page: ", parsed.request.method, " ",
                http::path_of(parsed.request.target).substr(0, 128), " (",
                routed.engine == http::Engine::None ? routed.status : 404, ")");
      (void)tls_.send(wire(http::error_response(routed.engine == http::Engine::None ? routed.status : 404)));
      refused_unread_ = !buf_.empty();
      break;
    }
    engine_ = routed.engine;
    if (engine_ == http::Engine::GlobalProtect) {
      if (!carry_out_gp(gp_->on_request(parsed.request))) break;
      continue;
    }
    if (!carry_out(flow_.on_request(parsed.request))) break;
  }
  // A refused body may still be arriving: let the client read the answer before we close
  // (bounded: two seconds, 16 MiB).
  if (refused_unread_)
    tls_.bye_lingering(2000, 16 << 20);
  else
    tls_.bye();
}

}  // namespace sslvpn::worker
