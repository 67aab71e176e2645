#include "worker/gp/esp_channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::gp {
namespace {

// Datagrams that fail to authenticate are skipped; at most this many per recv() call.
constexpr int kMaxSkipped = 64;

}  // namespace

EspChannel::EspChannel(UniqueFd udp, std::shared_ptr<EspSa> in, std::string first_payload,
                       std::string description)
    : udp_(std::move(udp)),
      in_(std::move(in)),
      first_(std::move(first_payload)),
      description_(std::move(description)) {}

Result<size_t> EspChannel::recv(std::span<uint8_t> buf) {
  if (!first_.empty()) {
    size_t n = std::min(first_.size(), buf.size());
    std::memcpy(buf.data(), first_.data(), n);
    first_.clear();
    return n;
  }
  for (int i = 0; i < kMaxSkipped; ++i) {
    ssize_t got = ::recv(udp_.get(), scratch_, sizeof scratch_, MSG_DONTWAIT | MSG_TRUNC);
    if (got < 0) {
      // ECONNREFUSED: an ICMP error for an earlier send; the path may still work.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED)
        return Errc::Timeout;
      return Errc::Io;
    }
    if (static_cast<size_t>(got) > sizeof scratch_) {
      ++rejected_;
      continue;
    }
    auto n = esp_decapsulate(*in_, std::span<const uint8_t>(scratch_, static_cast<size_t>(got)), buf);
    if (n.ok()) return *n;
    ++rejected_;  // forged, replayed or damaged: dropped without a trace on the session
  }
  return Errc::Timeout;
}

bool EspChannel::send(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return false;
  if (holding_since_) {
    if (std::chrono::steady_clock::now() - *holding_since_ < kHoldFor) {
      if (held_.size() < kMaxHeld)
        held_.emplace_back(reinterpret_cast<const char*>(datagram.data()), datagram.size());
      return true;  // past the few: lost, as on a path that is moving
    }
    release_held();  // no socket came: the old path again
  }
  if (!batch_.add(datagram)) {
    batch_.flush(udp_.get());
    if (!batch_.add(datagram)) return false;
  }
  return true;
}

void EspChannel::flush() {
  if (holding_since_ && std::chrono::steady_clock::now() - *holding_since_ >= kHoldFor) release_held();
  if (!batch_.empty()) batch_.flush(udp_.get());
}

void EspChannel::release_held() {
  holding_since_.reset();
  std::vector<std::string> held = std::move(held_);
  held_.clear();
  for (const auto& d : held)
    (void)send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(d.data()), d.size()));
}

Result<size_t> EspChannel::check_new_path(std::string first, std::span<uint8_t> buf) {
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(first.data()), first.size());
  if (!in_->newest(bytes)) return Errc::Denied;  // a replay of the live path's, or older
  auto n = esp_decapsulate(*in_, bytes, buf);
  if (!n.ok()) {
    ++rejected_;
    return Errc::Denied;
  }
  flush();  // what was queued before goes the old way
  if (!holding_since_) holding_since_ = std::chrono::steady_clock::now();
  return *n;
}

void EspChannel::move_to(UniqueFd udp) {
  flush();
  udp_ = std::move(udp);
  release_held();  // the answers to what came from there
  flush();
}

void EspChannel::stay() {
  release_held();
  flush();
}

tunnel::Clock::time_point EspChannel::deadline() const {
  return holding_since_ ? *holding_since_ + kHoldFor : tunnel::Clock::time_point::max();
}

Result<std::unique_ptr<tunnel::DatagramChannel>> EspFactory::open(UniqueFd udp, std::string first,
                                                                  std::string* error) {
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(first.data()), first.size());
  if (!in_->newest(bytes)) {
    *error = "a datagram older than the current path's from another port";
    return Errc::Denied;
  }
  std::string payload(first.size(), '\0');
  auto n = esp_decapsulate(*in_, bytes,
                           std::span<uint8_t>(reinterpret_cast<uint8_t*>(payload.data()), payload.size()));
  if (!n.ok()) {
    *error = std::string("a datagram for our SPI did not authenticate (") + errc_name(n.error()) + ")";
    return Errc::Denied;
  }
  payload.resize(*n);
  return std::unique_ptr<tunnel::DatagramChannel>(
      std::make_unique<EspChannel>(std::move(udp), in_, std::move(payload), description_));
}

}  // namespace sslvpn::gp
