// main's UDP demux: each UDP listener has a classifier that decides, from one datagram and
// main's tables alone, what happens to it. A classifier never creates state: a datagram that
// names no live session is dropped, and a worker may only be started after a stateless check
// (the Start verdict, for OpenVPN's HMAC cookie, next). DTLS is the first classifier; ESP by
// SPI and OpenVPN follow the same interface.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace sslvpn::mainproc::udp {

enum class Action : uint8_t {
  Drop,   // not ours, or names nothing live: silently dropped
  Route,  // to a live worker: a hello with a socket connected to the sender, else to check first
  Start,  // a new worker for this peer (only after a stateless check; no listener uses it yet)
};

struct Verdict {
  Action action = Action::Drop;
  pid_t worker = -1;   // Route: which worker
  bool hello = false;  // Route: the datagram opens a new channel (a handshake), not a new port
};

// What a classifier may look up in main's tables (read only).
class Directory {
 public:
  virtual ~Directory() = default;
  // The worker whose live tunnel owns this DTLS session id, or -1.
  virtual pid_t worker_by_dtls_id(std::string_view id) const = 0;
  // The one worker with a DTLS path from this client address, or -1 (none, or several: ambiguous).
  virtual pid_t only_dtls_worker_at(std::string_view ip) const = 0;
  // The worker whose live GlobalProtect tunnel receives with this ESP SPI, or -1.
  virtual pid_t worker_by_esp_spi(uint32_t spi) const = 0;
  // Whether that worker has told main it has a live datagram path (SessionStats.dtls_cipher).
  virtual bool has_datagram_path(pid_t worker) const = 0;
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  virtual const char* name() const noexcept = 0;
  virtual Verdict classify(std::span<const uint8_t> datagram, std::string_view from_ip,
                           const Directory& dir) const = 0;
};

// DTLS for AnyConnect: a ClientHello naming a live tunnel's session id goes to that tunnel's
// worker (as a candidate: the worker keeps its live channel until the new handshake completes);
// an application-data record from a client address with exactly one DTLS tunnel goes to it
// (NAT rebinding: the worker accepts the new port only if the record decrypts).
std::unique_ptr<Classifier> make_dtls_classifier();

// ESP for GlobalProtect (RFC 4303 over UDP, no marker): a datagram whose SPI names a live
// tunnel goes to that tunnel's worker, which accepts it (and the client's address with it) only
// if it authenticates and is newer than any it has seen. While the tunnel has no ESP path the
// datagram opens one (hello: with a socket, at most one a second); once it has one, a datagram
// from another address is a new port, checked by the worker before main makes a socket (as
// DTLS's), so forgeries with a sniffed SPI cannot use up the client's chance to move.
std::unique_ptr<Classifier> make_esp_classifier();

// The smallest ESP datagram GlobalProtect can send: SPI, sequence, a 16-byte IV, one cipher
// block and a 12-byte ICV.
inline constexpr size_t kMinEspDatagram = 4 + 4 + 16 + 16 + 12;

}  // namespace sslvpn::mainproc::udp
