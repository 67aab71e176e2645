#include "tools/loadgen/client_session.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "tools/loadgen/http_reply.hpp"
#include "tools/loadgen/loadgen.hpp"
#include "worker/anyconnect/cstp_frame.hpp"

namespace sslvpn::loadgen {
namespace {

constexpr const char* kUserAgent = "Open AnyConnect VPN Agent v9.01";
constexpr int kMaxFormRounds = 6;

double ms_since(ClientSession::Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(ClientSession::Clock::now() - t).count();
}

std::string xml_escape(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out.push_back(c);
  }
  return out;
}

// A 28-byte IPv4/UDP packet from the tunnel address to the discard port of TEST-NET-1.
std::string data_packet(const std::string& src) {
  std::array<uint8_t, 28> p{};
  p[0] = 0x45;
  p[3] = 28;
  p[8] = 64;
  p[9] = 17;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(src.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
    p[12] = static_cast<uint8_t>(a), p[13] = static_cast<uint8_t>(b), p[14] = static_cast<uint8_t>(c),
    p[15] = static_cast<uint8_t>(d);
  }
  p[16] = 192, p[17] = 0, p[18] = 2, p[19] = 1;
  p[21] = 9, p[23] = 9;  // ports 9 -> 9
  p[25] = 8;             // UDP length
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t cs = static_cast<uint16_t>(~sum);
  p[10] = static_cast<uint8_t>(cs >> 8), p[11] = static_cast<uint8_t>(cs);
  return std::string(reinterpret_cast<const char*>(p.data()), p.size());
}

}  // namespace

const char* failure_name(Failure f) {
  switch (f) {
    case Failure::Connect:
      return "tcp-connect";
    case Failure::Tls:
      return "tls";
    case Failure::Login:
      return "login";
    case Failure::Tunnel:
      return "tunnel-refused";
    case Failure::Dropped:
      return "dropped";
    case Failure::Timeout:
      return "timeout";
    case Failure::kCount:
      break;
  }
  return "?";
}

ClientSession::ClientSession(Loadgen& g, uint32_t index) : g_(g), index_(index) {
  ev_init(&timer_, &ClientSession::timer_cb);
  timer_.data = this;
}

ClientSession::~ClientSession() {
  ev_timer_stop(g_.loop(), &timer_);
  close_connection();
  if (resume_data_.data != nullptr) gnutls_free(resume_data_.data);
}

void ClientSession::start() {
  started_ = Clock::now();
  phase_ = Phase::Login;
  ++g_.stats().started;
  form_rounds_ = 0;
  arm_timer(g_.options().timeout_s);
  const Options& o = g_.options();
  pending_request_ = login_request(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"init\" "
      "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01</version><device-id>linux-64</device-id>"
      "<group-access>https://" +
      o.host + ":" + std::to_string(o.port) + "/</group-access></config-auth>");
  if (!open_connection()) fail(Failure::Connect);
}

void ClientSession::stop() {
  if (phase_ == Phase::Tunnel && handshaken_) {
    send_frame(static_cast<uint8_t>(cstp::PacketType::Disconnect), std::string(1, static_cast<char>(0xb0)));
    flush();
  }
  if (phase_ == Phase::Tunnel) phase_ = Phase::Done;
  ev_timer_stop(g_.loop(), &timer_);
  close_connection();
}

bool ClientSession::open_connection() {
  close_connection();
  fd_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) return false;
  int one = 1;
  (void)::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const sockaddr_in& a = g_.address();
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS)
    return false;
  if (gnutls_init(&tls_, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) return false;
  gnutls_priority_set(tls_, g_.priority());
  gnutls_credentials_set(tls_, GNUTLS_CRD_CERTIFICATE, g_.creds());
  gnutls_transport_set_int(tls_, fd_.get());
  if (resume_data_.data != nullptr) {
    (void)gnutls_session_set_data(tls_, resume_data_.data, resume_data_.size);
    gnutls_free(resume_data_.data);
    resume_data_ = {};
  }
  connected_ = handshaken_ = false;
  in_.clear();
  out_.clear();
  ev_io_init(&io_, &ClientSession::io_cb, fd_.get(), EV_READ | EV_WRITE);
  io_.data = this;
  ev_io_start(g_.loop(), &io_);
  return true;
}

void ClientSession::close_connection() {
  if (fd_.valid()) ev_io_stop(g_.loop(), &io_);
  if (tls_ != nullptr) {
    gnutls_deinit(tls_);
    tls_ = nullptr;
  }
  fd_.reset();
}

void ClientSession::arm_timer(double seconds) {
  ev_timer_stop(g_.loop(), &timer_);
  ev_timer_set(&timer_, seconds, 0.);
  ev_timer_start(g_.loop(), &timer_);
}

void ClientSession::io_cb(struct ev_loop*, ev_io* w, int revents) {
  static_cast<ClientSession*>(w->data)->on_io(revents);
}

void ClientSession::timer_cb(struct ev_loop*, ev_timer* w, int) {
  static_cast<ClientSession*>(w->data)->on_timer();
}

void ClientSession::fail(Failure f) {
  if (phase_ == Phase::Failed) return;
  bool was_up = phase_ == Phase::Tunnel;
  phase_ = Phase::Failed;
  ++g_.stats().failures[static_cast<size_t>(f)];
  if (was_up && g_.stats().alive_at_end > 0) --g_.stats().alive_at_end;
  ev_timer_stop(g_.loop(), &timer_);
  close_connection();
  g_.session_ended();
}

void ClientSession::on_timer() {
  if (phase_ != Phase::Tunnel) return fail(Failure::Timeout);
  auto now = Clock::now();
  if (linger_until_ != Clock::time_point{} && now >= linger_until_) {
    stop();
    return g_.session_ended();
  }
  if (now >= next_dpd_) {
    send_frame(static_cast<uint8_t>(cstp::PacketType::DpdRequest), {});
    ++g_.stats().dpd_sent;
    next_dpd_ = now + std::chrono::seconds(g_.options().dpd_s);
  }
  if (g_.options().pps > 0 && now >= next_data_) {
    send_frame(static_cast<uint8_t>(cstp::PacketType::Data), data_packet(address_));
    ++g_.stats().data_sent;
    next_data_ = now + std::chrono::microseconds(static_cast<int64_t>(1e6 / g_.options().pps));
  }
  flush();
  auto next = next_dpd_;
  if (g_.options().pps > 0) next = std::min(next, next_data_);
  if (linger_until_ != Clock::time_point{}) next = std::min(next, linger_until_);
  arm_timer(std::max(0.001, std::chrono::duration<double>(next - now).count()));
}

void ClientSession::on_io(int revents) {
  if (!connected_) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
      return fail(Failure::Connect);
    connected_ = true;
  }
  if (!handshaken_) return handshake();
  if (revents & EV_WRITE) flush();
  if (revents & EV_READ) read_all();
}

void ClientSession::handshake() {
  int r = gnutls_handshake(tls_);
  if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
    ev_io_stop(g_.loop(), &io_);
    ev_io_set(&io_, fd_.get(), gnutls_record_get_direction(tls_) ? EV_WRITE : EV_READ);
    ev_io_start(g_.loop(), &io_);
    return;
  }
  if (r < 0) return fail(Failure::Tls);
  handshaken_ = true;
  if (phase_ == Phase::Connect && gnutls_session_is_resumed(tls_)) ++g_.stats().resumed;
  ev_io_stop(g_.loop(), &io_);
  ev_io_set(&io_, fd_.get(), EV_READ);
  ev_io_start(g_.loop(), &io_);
  if (!pending_request_.empty()) {
    queue(pending_request_);
    pending_request_.clear();
  }
  flush();
}

void ClientSession::queue(std::string_view data) {
  out_.emplace_back(data);
}

void ClientSession::flush() {
  while (!out_.empty() && tls_ != nullptr && handshaken_) {
    const std::string& rec = out_.front();
    ssize_t n = gnutls_record_send(tls_, rec.data(), rec.size());
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      ev_io_stop(g_.loop(), &io_);
      ev_io_set(&io_, fd_.get(), EV_READ | EV_WRITE);
      ev_io_start(g_.loop(), &io_);
      return;
    }
    if (n < 0) return fail(phase_ == Phase::Tunnel ? Failure::Dropped : Failure::Tls);
    out_.pop_front();
  }
  if (fd_.valid()) {
    ev_io_stop(g_.loop(), &io_);
    ev_io_set(&io_, fd_.get(), EV_READ);
    ev_io_start(g_.loop(), &io_);
  }
}

void ClientSession::read_all() {
  std::array<char, 16384> buf{};
  for (int i = 0; i < 64 && tls_ != nullptr; ++i) {
    ssize_t n = gnutls_record_recv(tls_, buf.data(), buf.size());
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) break;
    if (n <= 0) {
      if (phase_ == Phase::Tunnel) return fail(Failure::Dropped);
      if (phase_ == Phase::Connect) return fail(Failure::Tunnel);
      return fail(Failure::Login);
    }
    in_.append(buf.data(), static_cast<size_t>(n));
    if (phase_ == Phase::Tunnel)
      on_tunnel_data();
    else
      on_reply();
    if (phase_ == Phase::Failed || phase_ == Phase::Done) return;
    if (tls_ != nullptr && gnutls_record_check_pending(tls_) == 0) break;
  }
}

std::string ClientSession::login_request(const std::string& body) const {
  const Options& o = g_.options();
  std::string req = std::string("POST ") + (form_rounds_ == 0 ? "/" : "/auth") +
                    " HTTP/1.1\r\nHost: " + o.host + "\r\nUser-Agent: " + kUserAgent +
                    "\r\nX-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\nX-Support-HTTP-Auth: true\r\n"
                    "Content-Type: application/xml; charset=utf-8\r\n";
  if (!context_.empty()) req += "Cookie: webvpncontext=" + context_ + "\r\n";
  return req + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void ClientSession::on_reply() {
  size_t used = 0;
  auto r = parse_reply(in_, phase_ == Phase::Connect, &used);
  if (!r.ok()) return fail(phase_ == Phase::Connect ? Failure::Tunnel : Failure::Login);
  if (!r->has_value()) return;
  HttpReply reply = std::move(**r);
  in_.erase(0, used);
  const Options& o = g_.options();
  if (phase_ == Phase::Connect) {
    if (reply.status != 200 || reply.cstp_address.empty()) return fail(Failure::Tunnel);
    address_ = reply.cstp_address;
    phase_ = Phase::Tunnel;
    ++g_.stats().established;
    ++g_.stats().alive_at_end;
    g_.stats().tunnel_ms.push_back(ms_since(started_));
    auto now = Clock::now();
    g_.stats().last_up = now;
    if (o.linger_s >= 0)
      linger_until_ = now + std::chrono::microseconds(static_cast<int64_t>(o.linger_s * 1e6));
    // Spread the sessions' DPD over the interval, as real clients started at different times are.
    next_dpd_ = now + std::chrono::milliseconds(1000 + (index_ * 7919u) % (o.dpd_s * 1000));
    next_data_ = now + std::chrono::milliseconds(
                           o.pps > 0 ? (index_ * 131u) % static_cast<unsigned>(1000 / o.pps + 1) : 0);
    arm_timer(0.001);
    if (!in_.empty()) on_tunnel_data();
    g_.session_ended();  // lets the driver notice "all up"
    return;
  }
  if (!reply.context_cookie.empty()) context_ = reply.context_cookie;
  if (!reply.webvpn_cookie.empty() && auth_complete(reply.body)) {
    cookie_ = reply.webvpn_cookie;
    g_.stats().login_ms.push_back(ms_since(started_));
    // TLS 1.3 tickets arrive after the handshake: by the login's reply the client has them.
    if (o.resume && !o.reuse) (void)gnutls_session_get_data2(tls_, &resume_data_);
    return send_connect();
  }
  if (reply.status != 200 || ++form_rounds_ > kMaxFormRounds) return fail(Failure::Login);
  // Answer the form: username and password fields; anything else is not ours to answer.
  std::string answers;
  bool asked = false;
  for (const auto& name : form_inputs(reply.body)) {
    if (name == "username")
      answers += "<username>" + xml_escape(o.user) + "</username>", asked = true;
    else if (name == "password" || name == "secondary_password")
      answers += "<" + name + ">" + xml_escape(o.password) + "</" + name + ">", asked = true;
  }
  if (!asked) return fail(Failure::Login);
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"auth-reply\" "
      "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01</version><device-id>linux-64</device-id>"
      "<auth>" +
      answers + "</auth></config-auth>";
  std::string req = login_request(body);
  if (reply.close) {
    pending_request_ = std::move(req);  // sent after the handshake
    if (!open_connection()) fail(Failure::Connect);
    return;
  }
  queue(req);
  flush();
}

void ClientSession::send_connect() {
  const Options& o = g_.options();
  phase_ = Phase::Connect;
  pending_request_ = "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: " + o.host +
                     "\r\nUser-Agent: " + kUserAgent + "\r\nCookie: webvpn=" + cookie_ +
                     "\r\nX-CSTP-Version: 1\r\nX-CSTP-Hostname: loadgen-" + std::to_string(index_) +
                     "\r\nX-CSTP-Base-MTU: 1500\r\nX-CSTP-Address-Type: IPv4\r\n"
                     "X-CSTP-Full-IPv6-Capability: false\r\n\r\n";
  if (o.reuse && handshaken_) {  // openconnect: the same connection, when the server keeps it
    queue(pending_request_);
    pending_request_.clear();
    flush();
    return;
  }
  // Cisco's client: the tunnel runs on a connection of its own (with --resume, a resumed one).
  if (!open_connection()) fail(Failure::Connect);
}

void ClientSession::on_tunnel_data() {
  while (!in_.empty()) {
    size_t used = 0;
    auto f = cstp::parse_frame(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in_.data()), in_.size()), &used);
    if (!f.ok()) {
      if (f.error() == Errc::Truncated) return;
      return fail(Failure::Dropped);
    }
    switch (f->type) {
      case cstp::PacketType::DpdRequest:
        send_frame(static_cast<uint8_t>(cstp::PacketType::DpdResponse),
                   std::string_view(reinterpret_cast<const char*>(f->payload.data()), f->payload.size()));
        ++g_.stats().dpd_answered;
        break;
      case cstp::PacketType::Disconnect:
      case cstp::PacketType::Terminate:
        in_.clear();
        return fail(Failure::Dropped);
      default:
        break;
    }
    in_.erase(0, used);
  }
  flush();
}

void ClientSession::send_frame(uint8_t type, std::string_view payload) {
  std::string rec(cstp::kHeaderSize + payload.size(), '\0');
  cstp::write_header(
      std::span<uint8_t, cstp::kHeaderSize>(reinterpret_cast<uint8_t*>(rec.data()), cstp::kHeaderSize),
      static_cast<cstp::PacketType>(type), static_cast<uint16_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), rec.begin() + cstp::kHeaderSize);
  queue(rec);
}

}  // namespace sslvpn::loadgen
