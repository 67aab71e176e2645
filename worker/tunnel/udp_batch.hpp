// Datagrams for one connected UDP socket, collected during a wake-up and sent together: runs
// of equal-sized datagrams (the last may be shorter) go as one sendmsg() with UDP_SEGMENT, so
// the kernel routes and queues a run once instead of once per datagram (UDP GSO, Linux 4.18+).
// Where the path refuses GSO, the batch falls back to one send() per datagram for good.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sslvpn::worker {

// A run of datagrams sent as one: datagrams [first, first + count), each `size` bytes except
// possibly the last.
struct GsoRun {
  size_t first = 0, count = 0;
  size_t size = 0;
};
// Splits datagram sizes into runs UDP GSO accepts: equal sizes but a shorter last one, at most
// `max_segments` datagrams and `max_bytes` bytes each. Replaces the contents of `runs` (reused,
// so a flush allocates nothing). Pure; unit-tested.
void plan_gso_runs(std::span<const uint16_t> sizes, size_t max_segments, size_t max_bytes,
                   std::vector<GsoRun>& runs);

class UdpBatch {
 public:
  static constexpr size_t kMaxDatagrams = 64;
  static constexpr size_t kMaxBytes = 64 * 1024;

  UdpBatch();
  // Takes a copy of one datagram. false when it does not fit: flush() first.
  bool add(std::span<const uint8_t> datagram);
  bool empty() const noexcept { return sizes_.empty(); }
  // Sends everything on `fd` and empties the batch. Datagrams the socket cannot take now are
  // lost, as UDP datagrams may be.
  void flush(int fd);
  uint64_t gso_sends() const noexcept { return gso_sends_; }

 private:
  void send_one(int fd, const uint8_t* p, size_t len);

  std::unique_ptr<uint8_t[]> buf_;  // uninitialised: resident only once used
  size_t used_ = 0;
  std::vector<uint16_t> sizes_;
  std::vector<GsoRun> runs_;
  bool gso_ok_ = true;
  uint64_t gso_sends_ = 0;
};

}  // namespace sslvpn::worker
