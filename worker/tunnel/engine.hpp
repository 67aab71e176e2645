// The seams between the generic tunnel loop (worker/tunnel/tunnel_loop) and a protocol. Every
// protocol that carries IP packets brings three things:
//   - a TunnelEngine: its framing, keepalives and timers, I/O-free (STYLE rule 18), driven by
//     the loop with an injected clock (AnyConnect: cstp::CstpSession);
//   - a StreamTransport: the reliable channel the tunnel runs on (AnyConnect and GlobalProtect:
//     the TLS connection; OpenVPN over TCP: its own framing);
//   - optionally a DatagramFactory: what turns a UDP socket main hands over into a
//     DatagramChannel (AnyConnect: a DTLS handshake; GlobalProtect: ESP; OpenVPN: its data
//     channel).
// The loop owns what is common: polling, back-pressure, batching (TUN offload, UDP GSO), byte
// budgets, statistics to main, and the rule that a new datagram path replaces the live one
// only once it has proven itself (handshake completed, or a packet that decrypts).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "ipc.pb.h"

namespace sslvpn::tunnel {

using Clock = std::chrono::steady_clock;
using EndReason = ipc::SessionEnd::Reason;

// Where an engine sends what it produces; implemented by the loop (and by tests).
class TunnelIo {
 public:
  virtual ~TunnelIo() = default;
  virtual void to_tun(std::span<const uint8_t> packet) = 0;
  virtual void to_stream(std::span<const uint8_t> frame) = 0;     // one record on the stream
  virtual void to_datagram(std::span<const uint8_t> record) = 0;  // one datagram record
  // A message for main (checked there against the worker's route table).
  virtual void to_main(const ipc::WorkerToMain&) {}
};

class TunnelEngine {
 public:
  virtual ~TunnelEngine() = default;
  // Bytes the engine frames in place before each packet the loop reads from the TUN device.
  virtual size_t header_room() const = 0;
  // A record from the stream (one or more whole frames), or a datagram record.
  virtual void on_stream_record(std::span<const uint8_t> record, Clock::time_point now, TunnelIo& io) = 0;
  virtual void on_datagram(std::span<const uint8_t> record, Clock::time_point now, TunnelIo& io) = 0;
  // The datagram channel is (again) established: data may go that way.
  virtual void datagram_established(Clock::time_point now) = 0;
  virtual bool datagram_up() const = 0;
  // Frames the packet at buf[header_room() .. header_room()+len) in place; the whole frame to
  // send as one stream record or one datagram, with the packet accounted for.
  virtual std::span<const uint8_t> frame_stream(std::span<uint8_t> buf, size_t len,
                                                Clock::time_point now) = 0;
  virtual std::span<const uint8_t> frame_datagram(std::span<uint8_t> buf, size_t len,
                                                  Clock::time_point now) = 0;
  // Timers: keepalives, dead-peer detection, idle and session limits.
  virtual void on_tick(Clock::time_point now, TunnelIo& io) = 0;
  virtual Clock::time_point next_deadline() const = 0;
  // The server ends the tunnel (an admin); `tell_client` says goodbye in the protocol's way.
  virtual void terminate(EndReason why, bool tell_client, TunnelIo& io) = 0;
  // Tells the client the session is over so it does not reconnect (any state).
  virtual void send_goodbye(TunnelIo& io) = 0;
  virtual bool ended() const = 0;
  virtual EndReason end_reason() const = 0;
  // Whether the tunnel ends with its stream. GlobalProtect's may outlive it: once ESP carries
  // the data the client closes its HTTPS connection.
  virtual bool needs_stream() const { return true; }
  // The stream closed (or the engine asked for it: stream_done) and the tunnel goes on.
  virtual void stream_lost(Clock::time_point) {}
  // The engine has said its last word on the stream: the loop flushes and closes it.
  virtual bool stream_done() const { return false; }
  // A protocol whose stream is datagrams (OpenVPN over UDP): `first` came from a new client
  // address. True if it authenticated (it was then processed): the stream moves there.
  virtual bool on_new_path(std::span<const uint8_t>, Clock::time_point, TunnelIo&) { return false; }
  virtual uint64_t bytes_in() const = 0;
  virtual uint64_t bytes_out() const = 0;
  virtual uint64_t dropped() const = 0;
  // The compression method negotiated per channel ("oc-lz4", "lzs"), "" for none.
  virtual std::string_view stream_compression() const { return {}; }
  virtual std::string_view datagram_compression() const { return {}; }
};

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;
  virtual int fd() const = 0;
  // One record; Errc::Timeout when nothing is there, Errc::Closed at the end.
  virtual Result<size_t> recv_nonblocking(std::span<uint8_t> buf) = 0;
  // Data already read and decrypted (poll will not report it).
  virtual size_t pending() const = 0;
  // Queues one record; flush() writes: true when all went, false when the socket is full.
  virtual Result<void> queue_record(std::span<const uint8_t> data) = 0;
  virtual Result<bool> flush() = 0;
  // Whether more records may be queued before the next flush (a soft limit).
  virtual bool has_room() const = 0;
  // Far past the soft limit (the client does not read what its own requests produce, e.g.
  // keepalive echoes): the loop stops reading the stream until the queue drains.
  virtual bool backlogged() const = 0;
  virtual std::string description() const = 0;
  // Ends the stream (after a last flush) while the tunnel goes on without it.
  virtual void close() = 0;
  // A datagram stream moves to a socket connected to the client's new address (the engine
  // verified a packet from there). False: this transport cannot move.
  virtual bool replace_socket(UniqueFd) { return false; }
};

class DatagramChannel {
 public:
  virtual ~DatagramChannel() = default;
  virtual int fd() const = 0;
  virtual bool established() const = 0;
  // Advances a handshake: true once established (at once for channels without one).
  virtual Result<bool> handshake() = 0;
  // One record; Errc::Timeout when nothing is there; another error ends the channel.
  virtual Result<size_t> recv(std::span<uint8_t> buf) = 0;
  virtual bool send(std::span<const uint8_t> record) = 0;
  virtual void flush() = 0;
  virtual size_t pending() const = 0;
  // NAT rebinding, in two steps. `first` came from the client's new port (main read it, and
  // made nothing for it): if it authenticates (and is fresh), its payload is in `buf` and it
  // counts as received; otherwise Errc::Denied and nothing changed. Main, told it passed,
  // sends a socket connected to that port, which move_to() takes.
  virtual Result<size_t> check_new_path(std::string first, std::span<uint8_t> buf) = 0;
  virtual void move_to(UniqueFd udp) = 0;
  // Main made no socket for a check that passed (the client is where it counts it already).
  virtual void stay() {}
  // When the channel wants flush() called though nothing else happens (max: never).
  virtual Clock::time_point deadline() const { return Clock::time_point::max(); }
  virtual std::string description() const = 0;
};

class DatagramFactory {
 public:
  virtual ~DatagramFactory() = default;
  virtual const char* name() const = 0;  // "DTLS", "ESP": for the log
  // A channel on `udp`, whose first datagram (a hello, for protocols with a handshake) is `first`.
  virtual Result<std::unique_ptr<DatagramChannel>> open(UniqueFd udp, std::string first,
                                                        std::string* error) = 0;
};

}  // namespace sslvpn::tunnel
