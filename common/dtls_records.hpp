// DTLS record framing for what the worker hands GnuTLS (RFC 6347 4.1: a 13-byte header whose
// last two bytes are the length). GnuTLS keeps the raw bytes of a datagram it has not finished
// and, when a header claims more than the datagram holds, appends the next datagram to it: one
// forged datagram ending in a long header would swallow the live client's next datagrams, and
// a record left over from the live path would be read by a check of a new path as if it came
// from there. So GnuTLS gets one whole record per read, never a part: a datagram's other
// records wait here, and whatever does not frame as whole records is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sslvpn {

inline constexpr size_t kDtlsRecordHeader = 13;

// The size of the whole record `d` starts with (header and body), or 0 when it does not start
// with one (shorter than a header, or a length running past its end).
size_t dtls_record_size(std::span<const uint8_t> d) noexcept;

// The records of one datagram, handed out one at a time.
class DtlsRecordQueue {
 public:
  // Replaces what is held with the whole records that `datagram` starts with (its tail after
  // the first record that does not frame is dropped). false when it starts with none.
  bool fill(std::span<const uint8_t> datagram);
  bool empty() const noexcept { return at_ >= held_.size(); }
  // Copies the next record into `out` and returns its size; 0 (and the record dropped) when it
  // does not fit `out`, or when the queue is empty.
  size_t take(std::span<uint8_t> out);
  void clear() noexcept;

 private:
  std::string held_;
  size_t at_ = 0;
};

}  // namespace sslvpn
