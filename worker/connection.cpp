#include "worker/connection.hpp"

#include <array>

#include "common/secret_bytes.hpp"

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
      (void)tls_.send(http::serialize(http::error_response(status)));
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

bool Connection::carry_out(anyconnect::Step step) {
  if (step.kind == anyconnect::Step::Kind::AskSecMod) {
    std::string user = step.auth_init.username();
    auto reply = secmod_.auth_init(step.auth_init);
    if (!reply.ok()) {
      log_.error("sec-mod did not answer a login: ", errc_name(reply.error()));
      (void)tls_.send(http::serialize(http::error_response(503)));
      return false;
    }
    log_.debug("login for '", user, "': status ", static_cast<int>(reply->status()));
    step = flow_.on_secmod_reply(*reply);
  }
  if (!tls_.send(http::serialize(step.reply))) return false;
  return !step.reply.close;
}

void Connection::run() {
  for (;;) {
    // Whatever follows the request in buf_ (pipelining) is kept for the next round.
    http::Parsed parsed;
    if (!read_request(&parsed)) break;
    log_.debug(parsed.request.method, " ", parsed.request.target);
    if (!carry_out(flow_.on_request(parsed.request))) break;
  }
  tls_.bye();
}

}  // namespace sslvpn::worker
