#include "worker/openvpn/ovpn_shell.hpp"

#include "worker/openvpn/auth_token.hpp"

#include <gnutls/crypto.h>
#include <malloc.h>
#include <poll.h>

#include <memory>
#include <optional>

#include "worker/openvpn/challenge.hpp"
#include "worker/openvpn/control.hpp"
#include "worker/openvpn/key_method.hpp"
#include "worker/openvpn/ovpn_session.hpp"
#include "worker/openvpn/push.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"
#include "worker/openvpn/transport.hpp"
#include "worker/tunnel/tunnel_loop.hpp"

namespace sslvpn::worker {
namespace {

using ovpn::Clock;

// The ping we push; ping-restart follows the session's DPD time.
constexpr uint32_t kPing = 10;
constexpr uint32_t kMinPingRestart = 30;
// The UDP socket receive buffer asked of openvpn 2.x clients (a pushed "rcvbuf", as openvpn
// servers' tuning guides do): the client's default (the kernel's, 208 kB, about 90 full
// datagrams) overflows in the bursts of a fast download, and each loss slows the TCP inside.
// The kernel caps it at twice net.core.rmem_max (416 kB by default).
constexpr uint32_t kClientRcvbuf = 1 << 20;
// The auth-token we push is this prefix and the session's cookie: a reconnecting client sends
// it as its password, and the login resumes the session (as an AnyConnect cookie does); a
// renegotiation shows it to the worker. A client whose token is refused drops it and logs in
// with its password again (openvpn's receive_auth_failed).
constexpr std::string_view kTokenPrefix = "SSLVPND-SESSION:";
// After AUTH_FAILED: how long the worker waits for the client to acknowledge it.
constexpr auto kFailLinger = std::chrono::seconds(3);

ovpn::WrapKeys wrap_keys(const ipc::OpenVpnStartup& o) {
  switch (o.wrap()) {
    case ipc::OpenVpnStartup::TLS_AUTH:
      return ovpn::tls_auth_keys(
          o.wrap_key(),
          o.key_direction() < 0    ? ovpn::KeyDirection::Bidirectional
          : o.key_direction() == 0 ? ovpn::KeyDirection::Normal
                                   : ovpn::KeyDirection::Inverse,
          ovpn::auth_digest_from_name(o.auth_digest()).value_or(ovpn::AuthDigest::Sha1));
    case ipc::OpenVpnStartup::TLS_CRYPT:
    case ipc::OpenVpnStartup::TLS_CRYPT_V2:  // the client's own key, as tls-crypt's
      return o.wrap_key().size() == ovpn::kStaticKeySize ? ovpn::tls_crypt_keys(o.wrap_key())
                                                         : ovpn::WrapKeys{};
    default:
      return {};
  }
}

ovpn::SessionId copy_sid(const std::string& s) {
  ovpn::SessionId id{};
  if (s.size() == id.size()) std::copy(s.begin(), s.end(), id.begin());
  return id;
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One OpenVPN login, from the first packet to PUSH_REPLY (or AUTH_FAILED).
class OvpnLogin {
 public:
  OvpnLogin(Logger& log, const ipc::WorkerStartup& st, TlsServer& tls, SecModClient& secmod, IpcChannel& main,
            tunnel::StreamTransport& tr, ovpn::ControlWrap& wrap, ovpn::ControlChannel& ctl)
      : log_(log),
        st_(st),
        o_(st.openvpn()),
        tls_(tls),
        secmod_(secmod),
        main_(main),
        tr_(tr),
        wrap_(wrap),
        ctl_(ctl) {}

  // Runs the login; true when a tunnel was granted (then `tun`, `params` and `data` are set).
  bool run(Clock::time_point deadline);

  UniqueFd tun;
  ipc::TunnelParams params;
  std::optional<ovpn::DataChannel> data;
  std::vector<std::string> push_reply;
  uint32_t ping_restart = 60;
  std::string username;
  std::string token;  // the auth-token pushed
  std::string cert_leaf;
  std::string cipher;
  bool data_v2 = true;
  bool prf_keys = false;  // keys from openvpn's PRF: the client has no TLS key export
  uint32_t peer_id = 0;
  ovpn::CompFraming framing = ovpn::CompFraming::None;

 private:
  void on_packet(std::span<const uint8_t> pkt, Clock::time_point now);
  // The client's key-method-2 message: logs in and answers with ours.
  bool on_key_method(const std::string& msg);
  bool send_key_method();
  // Runs a login through sec-mod to its outcome: success, a refusal, or a CRV1 challenge.
  void login(ipc::WorkerToSecMod req, const SecretBytes* static_response);
  ipc::WorkerToSecMod continue_request(const std::string& context, const std::string& field,
                                       std::string_view answer);
  // PUSH_REQUEST: asks main for the tunnel; false when the login is over without one.
  bool on_push_request();
  void fail_auth(const std::string& why);
  void send_output(Clock::time_point now);
  bool wait_readable(Clock::time_point until);

  Logger& log_;
  const ipc::WorkerStartup& st_;
  const ipc::OpenVpnStartup& o_;
  TlsServer& tls_;
  SecModClient& secmod_;
  IpcChannel& main_;
  tunnel::StreamTransport& tr_;
  ovpn::ControlWrap& wrap_;
  ovpn::ControlChannel& ctl_;
  bool started_ = false;  // the reset exchange is behind
  std::optional<ovpn::ClientKeyMethod> km_;
  std::optional<ovpn::ServerKeyMethod> server_km_;  // our randoms, for PRF keys
  std::string cookie_;
  std::string username_;
  bool auth_ok_ = false;
  bool challenge_ = false;  // auth_error_ is a CRV1 challenge, not a refusal
  bool token_login_ = false;
  std::string login_token_;  // sec-mod's, pushed after the cookie ("" without a shared secret)
  std::string auth_error_;
  bool granted_ = false;
  bool over_ = false;
};

void OvpnLogin::send_output(Clock::time_point now) {
  for (auto& p : ctl_.take_output(now)) (void)tr_.queue_record(p);
  (void)tr_.flush();
}

bool OvpnLogin::wait_readable(Clock::time_point until) {
  auto now = Clock::now();
  auto next = std::min(until, ctl_.next_deadline());
  int ms =
      next <= now
          ? 0
          : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()) + 1;
  if (tr_.pending() > 0) return true;
  pollfd p{tr_.fd(), POLLIN, 0};
  return ::poll(&p, 1, std::min(ms, 1000)) > 0;
}

void OvpnLogin::on_packet(std::span<const uint8_t> pkt, Clock::time_point now) {
  if (pkt.empty() || !ovpn::is_control(pkt[0])) return;  // data before the keys: dropped
  if (!started_) {
    // TCP, or UDP from an old tls-crypt-v2 client: the first packet is the client's hard reset
    // (otherwise main did the reset exchange over UDP).
    auto plain = wrap_.unwrap(pkt);
    auto reset = plain.ok() ? ovpn::parse_control(*plain) : Result<ovpn::ControlPacket>(plain.error());
    if (!reset.ok() || !ctl_.start_from_reset(*reset).ok()) {
      log_.debug("OpenVPN: the first packet is not a client reset; dropped");
      return;
    }
    started_ = true;
    return;
  }
  auto r = ctl_.on_wire(pkt, now);
  if (!r.ok()) log_.debug("OpenVPN: control packet dropped (", errc_name(r.error()), ")");
}

ipc::WorkerToSecMod OvpnLogin::continue_request(const std::string& context, const std::string& field,
                                                std::string_view answer) {
  ipc::WorkerToSecMod req;
  auto* cont = req.mutable_auth_continue();
  cont->set_context(context);
  if (st_.cert_login() != 0)
    for (const auto& der : tls_.peer_certificates()) cont->add_client_cert_der(der);
  auto* a = cont->add_answers();
  a->set_name(field);
  a->set_value(std::string(answer));
  return req;
}

void OvpnLogin::login(ipc::WorkerToSecMod req, const SecretBytes* static_response) {
  for (int round = 0; round < 4; ++round) {  // a password, then at most a few answers
    auto reply = secmod_.auth(req);
    if (!reply.ok()) {
      auth_error_ = "the server cannot check logins right now";
      log_.error("sec-mod did not answer a login: ", errc_name(reply.error()));
      return;
    }
    if (reply->status() == ipc::AuthReply::SUCCESS) {
      auth_ok_ = true;
      cookie_ = reply->cookie();
      username_ = reply->username();
      login_token_ = reply->login_token();
      if (token_login_) log_.info("OpenVPN: '", username_.substr(0, 64), "' logged in with its auth-token");
      return;
    }
    if (reply->status() != ipc::AuthReply::CONTINUE) {
      auth_error_ = reply->message().empty() ? "login failed" : reply->message();
      return;
    }
    const ipc::AuthForm& form = reply->form();
    if (form.fields_size() != 1) {
      auth_error_ = "this login asks more than one question at once, which OpenVPN clients cannot answer";
      return;
    }
    const ipc::FormField& f = form.fields(0);
    if (static_response != nullptr) {
      // static-challenge: the client sent the answer with its password.
      req = continue_request(reply->context(), f.name(), static_response->view());
      static_response = nullptr;
      continue;
    }
    // CRV1: the client asks its user and comes back with the answer and this state id.
    std::string text = !form.message().empty() ? form.message() : f.label();
    auth_error_ = ovpn::crv1_challenge(ovpn::make_state_id(reply->context(), f.name()), username_,
                                       text.substr(0, 200), f.kind() == ipc::FormField::TEXT);
    challenge_ = true;
    return;
  }
  auth_error_ = "too many questions";
}

bool OvpnLogin::on_key_method(const std::string& msg) {
  auto km = ovpn::parse_client_key_method(bytes_of(msg));
  if (!km.ok()) {
    log_.info("OpenVPN: the client's key exchange is malformed (", errc_name(km.error()), ")");
    return false;
  }
  km_ = std::move(*km);
  username_ = km_->username;
  std::string_view pass = km_->password.view();
  if (pass.size() > kTokenPrefix.size() && pass.substr(0, kTokenPrefix.size()) == kTokenPrefix) {
    // A reconnect with our auth-token: "cookie[.login-token]". sec-mod gives the session back
    // when the cookie is live and this user's; otherwise a login token made with the shared
    // secret logs the user in anew (another server's session); otherwise the login fails.
    std::string_view rest = pass.substr(kTokenPrefix.size());
    auto dot = rest.find('.');
    ipc::WorkerToSecMod req;
    auto* init = req.mutable_auth_init();
    init->set_username(km_->username.substr(0, 256));
    init->set_prior_cookie(std::string(rest.substr(0, dot)).substr(0, 128));
    if (dot != std::string_view::npos)
      init->set_login_token(std::string(rest.substr(dot + 1)).substr(0, ovpn::kMaxLoginToken));
    init->set_has_password(true);  // none: a refused token is a failed login, as a wrong password
    init->set_user_agent(("OpenVPN " + km_->peer("IV_VER")).substr(0, 256));
    km_->password.wipe();
    token_login_ = true;
    log_.debug("OpenVPN: '", username_.substr(0, 64), "' comes back with its auth-token");
    login(std::move(req), nullptr);
    return send_key_method();
  }
  std::string ver = km_->peer("IV_VER");
  log_.debug("OpenVPN client ", ver.substr(0, 32), " (", km_->peer("IV_PLAT").substr(0, 16), "), IV_PROTO ",
             km_->iv_proto());
  // Log in through sec-mod, as every protocol does (PAM, password files, RADIUS, certificates);
  // a second factor comes by openvpn's challenge protocols (worker/openvpn/challenge.hpp).
  ovpn::PasswordField field = ovpn::parse_password_field(km_->password.view());
  km_->password.wipe();
  ipc::WorkerToSecMod req;
  std::string context, answer_field;
  if (field.kind == ovpn::PasswordField::Kind::Dynamic &&
      ovpn::split_state_id(field.state_id, &context, &answer_field)) {
    req = continue_request(context, answer_field, field.response.view());
  } else {
    auto* init = req.mutable_auth_init();
    init->set_username(km_->username.substr(0, 256));
    init->set_password(std::string(field.password.view()));
    init->set_has_password(km_->has_credentials);
    init->set_user_agent(("OpenVPN " + ver).substr(0, 256));
    if (st_.cert_login() != 0)
      for (const auto& der : tls_.peer_certificates()) init->add_client_cert_der(der);
  }
  login(std::move(req), field.kind == ovpn::PasswordField::Kind::Static ? &field.response : nullptr);
  // Our half of the exchange goes out whatever the outcome; AUTH_FAILED answers PUSH_REQUEST.
  return send_key_method();
}

bool OvpnLogin::send_key_method() {
  server_km_ = ovpn::make_server_key_method();
  if (!server_km_ || !ctl_.send_message(server_km_->message).ok()) return false;
  wipe_string(server_km_->message);
  return true;
}

void OvpnLogin::fail_auth(const std::string& why) {
  if (challenge_)
    log_.info("OpenVPN: '", username_.substr(0, 64), "' is asked a challenge question (CRV1)");
  else
    log_.info("OpenVPN: login of '", username_.substr(0, 64), "' failed: ", why);
  (void)ctl_.send_message("AUTH_FAILED," + why.substr(0, 1024) + '\0');
  over_ = true;
}

bool OvpnLogin::on_push_request() {
  if (!auth_ok_) {
    fail_auth(auth_error_.empty() ? "login failed" : auth_error_);
    return false;
  }
  uint32_t proto = km_->iv_proto();
  if (!server_km_) return false;  // our key-method message did not go: nothing to derive from
  prf_keys = !(proto & ovpn::kIvProtoTlsKeyExport);
  std::string cipher = ovpn::choose_cipher(o_.data_ciphers(), *km_);
  if (cipher.empty()) {
    fail_auth("no common data cipher (the server offers " + o_.data_ciphers() + ")");
    return false;
  }
  ipc::WorkerToMain ask;
  auto* req = ask.mutable_session_request();
  req->set_cookie(cookie_);
  req->set_protocol(ipc::OPENVPN);
  if (token_login_) req->set_user(username_);  // the cookie must be this user's
  token = std::string(kTokenPrefix) + cookie_ + (login_token_.empty() ? "" : "." + login_token_);
  req->set_user_agent(("OpenVPN " + km_->peer("IV_VER")).substr(0, 255));
  req->set_device_platform(km_->peer("IV_PLAT").substr(0, 64));
  req->set_hostname(km_->peer("UV_HOSTNAME").substr(0, 64));
  req->set_base_mtu(1500);
  req->set_ipv6(true);  // a 2.6 client takes ifconfig-ipv6 whenever it is pushed
  // Main adds the IP header and the transport's; ours are the data header and TCP's framing.
  req->set_transport_overhead(static_cast<uint32_t>(ovpn::kDataV2Header + (o_.tcp() ? 2 : 0)));
  req->set_datagram_transport(!o_.tcp());
  wipe_string(cookie_);
  auto sent = main_.send(ask);
  auto rep = sent ? main_.recv<ipc::MainToWorker>(false)
                  : Result<std::pair<ipc::MainToWorker, UniqueFd>>(sent.error());
  if (!rep.ok() || rep->first.msg_case() != ipc::MainToWorker::kSessionReply) {
    log_.error("main did not answer the tunnel request");
    return false;
  }
  const ipc::SessionReply& r = rep->first.session_reply();
  if (!r.ok() || !rep->second.valid()) {
    fail_auth(r.reason().empty() ? "the server refused the tunnel" : r.reason());
    return false;
  }
  params = r.params();
  tun = std::move(rep->second);
  auto km = ovpn::data_key_material(tls_, prf_keys, *km_, *server_km_, ctl_);
  server_km_.reset();
  secure_wipe(km_->pre_master.data(), km_->pre_master.size());  // key 0's keys are made
  bool v2 = proto & ovpn::kIvProtoDataV2;
  uint32_t peer_id = static_cast<uint32_t>(st_.worker_id() & 0xffffff);
  auto dc =
      km.ok() ? ovpn::DataChannel::create(
                    *ovpn::parse_data_cipher(cipher),
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(km->view().data()), km->size()),
                    0, v2, peer_id)
              : Result<ovpn::DataChannel>(Errc::Crypto);
  if (!dc.ok()) {
    log_.error("OpenVPN: cannot derive the data channel keys");
    return false;
  }
  data.emplace(std::move(*dc));
  ovpn::PushSettings ps;
  ps.cipher = cipher;
  ps.iv_proto = proto;
  ps.client_sent_mtu = !km_->peer("IV_MTU").empty();
  ps.peer_id = peer_id;
  // openvpn 3 (OpenVPN Connect) sizes its own buffers and may refuse options it does not take.
  if (!o_.tcp() && km_->peer("IV_VER").starts_with("2.")) ps.rcvbuf = kClientRcvbuf;
  ps.ping = kPing;
  ps.ping_restart = ping_restart = std::max(params.dpd(), kMinPingRestart);
  auto options = ovpn::push_options(params, ps);
  // A client configured with compression gets the stubs pushed: it frames, never compresses.
  if (km_->options.find(",comp-lzo") != std::string::npos) {
    bool v2stub = km_->peer("IV_COMP_STUBv2") == "1";
    framing = v2stub ? ovpn::CompFraming::StubV2 : ovpn::CompFraming::LzoStub;
    options.push_back(v2stub ? "compress stub-v2" : "comp-lzo no");
  }
  options.push_back("auth-token " + token);
  push_reply = ovpn::push_reply_messages(options);
  username = username_;
  this->cipher = cipher;
  data_v2 = v2;
  this->peer_id = peer_id;
  if (st_.cert_login() != 0) {
    auto certs = tls_.peer_certificates();
    if (!certs.empty()) cert_leaf = certs.front();
  }
  for (const auto& m : push_reply)
    if (!ctl_.send_message(m + '\0').ok()) return false;
  log_.debug("OpenVPN: tunnel for '", username_.substr(0, 64), "' with ", cipher, " over ", tr_.description(),
             prf_keys ? ", keys from openvpn's PRF (no TLS key export)" : "");
  granted_ = true;
  return true;
}

bool OvpnLogin::run(Clock::time_point deadline) {
  if (!o_.tcp() && !o_.server_sid().empty()) {
    // UDP: main's reset reply is behind; the client's first packet returned the cookie.
    ctl_.start_after_cookie(copy_sid(o_.client_sid()));
    started_ = true;
    on_packet(bytes_of(o_.first_packet()), Clock::now());
  } else if (!o_.tcp()) {
    on_packet(bytes_of(o_.first_packet()), Clock::now());  // an old tls-crypt-v2 client's reset
  }
  std::vector<uint8_t> buf(ovpn::kMaxPacket);
  Clock::time_point linger_until = Clock::time_point::max();
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) {
      log_.info("OpenVPN: the login did not finish in time");
      return false;
    }
    if (over_ && (ctl_.idle() || now >= linger_until)) return false;
    if (wait_readable(std::min(deadline, linger_until))) {
      for (int i = 0; i < 64; ++i) {
        auto n = tr_.recv_nonblocking(buf);
        if (!n.ok()) {
          if (n.error() == Errc::Timeout) break;
          log_.debug("OpenVPN: the client went away (", errc_name(n.error()), ")");
          return false;
        }
        on_packet(std::span<const uint8_t>(buf.data(), *n), Clock::now());
      }
    }
    if (ctl_.tls_failed()) {
      log_.info("OpenVPN: TLS failed: ", ctl_.error());
      return false;
    }
    while (!over_ && ctl_.tls_up()) {
      auto m = ctl_.take_message();
      if (!m) break;
      bool push_now = false;
      if (!km_) {
        if (!on_key_method(*m)) {
          wipe_string(*m);  // it holds the password
          return false;
        }
        // A client with IV_PROTO_REQUEST_PUSH takes the reply (or AUTH_FAILED) without asking
        // for it, as a 2.6 server sends it: this saves it the second it waits before asking.
        push_now = (km_->iv_proto() & ovpn::kIvProtoRequestPush) != 0;
      }
      if (push_now || (km_ && m->rfind("PUSH_REQUEST", 0) == 0)) {
        bool ok = on_push_request();
        if (ok) {
          send_output(Clock::now());
          return true;
        }
        if (!over_) return false;
        linger_until = Clock::now() + kFailLinger;
      }
      wipe_string(*m);
    }
    send_output(Clock::now());
  }
}

// What the admin put in the client's tls-crypt-v2 key (authenticated by the server key).
void log_client_key(Logger& log, const std::string& md) {
  if (md.size() == 9 && md[0] == ovpn::kMetadataTimestamp) {
    uint64_t t = 0;
    for (size_t i = 1; i < 9; ++i) t = t << 8 | static_cast<uint8_t>(md[i]);
    log.info("OpenVPN: tls-crypt-v2 client key made at ", t, " (unix time)");
  } else if (!md.empty() && md[0] == ovpn::kMetadataUser) {
    log.info("OpenVPN: tls-crypt-v2 client key: ", md.substr(1, 256));
  }
}

}  // namespace

void run_openvpn(Logger& log, const ipc::WorkerStartup& st, TlsServer& tls, SecModClient& secmod,
                 IpcChannel& main, int client_fd, std::chrono::steady_clock::time_point deadline) {
  const ipc::OpenVpnStartup& o = st.openvpn();
  std::unique_ptr<tunnel::StreamTransport> tr;
  ovpn::TcpPacketTransport* tcp = nullptr;
  ovpn::UdpPacketTransport* udp = nullptr;
  if (o.tcp())
    tr.reset(tcp = new ovpn::TcpPacketTransport(client_fd));
  else
    tr.reset(udp = new ovpn::UdpPacketTransport(UniqueFd(client_fd)));
  uint32_t wrap_time = o.wrap_time() != 0 ? o.wrap_time() : static_cast<uint32_t>(::time(nullptr));
  // Over UDP main's reset reply used replay id 1: ours go on from 2.
  ovpn::ControlWrap wrap(wrap_keys(o), wrap_time, 2);
  ovpn::SessionId own{};
  if (!o.tcp() && !o.server_sid().empty())
    own = copy_sid(o.server_sid());
  else if (gnutls_rnd(GNUTLS_RND_NONCE, own.data(), own.size()) != 0)
    return;
  ovpn::ControlChannel ctl(wrap, tls, o.tcp(), own);
  if (o.wrap() == ipc::OpenVpnStartup::TLS_CRYPT_V2) log_client_key(log, o.client_key_metadata());
  OvpnLogin login(log, st, tls, secmod, main, *tr, wrap, ctl);
  if (!login.run(deadline)) {
    (void)tr->flush();
    return;
  }
  // sslvpnctl shows the transport, the data cipher and the control channel's TLS session.
  std::string label = std::string("OpenVPN ") + (tcp ? "TCP" : "UDP") + ", " +
                      ovpn::data_cipher_name(login.data->cipher()) + ", control " + tls.description();
  if (tcp) tcp->set_label(label);
  if (udp) udp->set_label(label);
  ovpn::OvpnSessionSettings settings = ovpn::ovpn_settings_from(login.params, kPing, login.ping_restart);
  settings.push_reply = login.push_reply;  // repeated if the client asks again
  settings.make_tls = [&st, &secmod, &log]() -> std::unique_ptr<TlsServer> {
    std::string error;
    auto t =
        TlsServer::create(-1, st.cert_chain_pem(), st.tls_priorities(), secmod, st.cert_login() != 0, &error);
    if (!t.ok()) {
      log.warn("OpenVPN: cannot start a renegotiation: ", error);
      return nullptr;
    }
    for (const auto& chain : st.more_cert_chains()) {  // as the first session's (worker/main.cpp)
      if (!(*t)->add_chain(0, chain, &error).ok()) {
        log.warn("OpenVPN: cannot start a renegotiation: ", error);
        return nullptr;
      }
    }
    (*t)->staple_ocsp(0, st.ocsp_response());
    return std::move(*t);
  };
  settings.username = login.username;
  settings.token = login.token;
  settings.cert_leaf = login.cert_leaf;
  settings.cipher = *ovpn::parse_data_cipher(login.cipher);
  settings.data_v2 = login.data_v2;
  settings.prf_keys = login.prf_keys;
  settings.peer_id = login.peer_id;
  settings.reneg_s = o.reneg_sec();
  settings.framing = login.framing;
  ovpn::OvpnSession engine(std::move(settings), ctl, std::move(*login.data), Clock::now());
  tunnel::TunnelLoop loop(log, *tr, engine, std::move(login.tun), main, login.params, nullptr);
  ::malloc_trim(0);
  ipc::WorkerToMain end;
  *end.mutable_session_end() = loop.run();
  log.debug("OpenVPN: the session ends after ", engine.renegotiations(), " renegotiation(s), on key ",
            static_cast<int>(engine.key_id()));
  (void)main.send(end);
}

}  // namespace sslvpn::worker
