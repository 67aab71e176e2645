// The TUN offload code on arbitrary bytes: what the device hands over (a virtio-net header
// and a packet) is split, and a stream of packets is batched. Checks: no crash, every split
// packet fits its buffer, and a batch writes every byte it took (headers of merged segments
// aside) exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "worker/tun/split.hpp"
#include "worker/tun/write_batch.hpp"

namespace {

struct CountSink : sslvpn::tun::SegmentSink {
  size_t total = 0, room = 0;
  void on_segment(size_t len) override {
    if (len > room) std::abort();
    total += len;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sslvpn::tun;
  std::span<const uint8_t> in(data, size);
  std::vector<uint8_t> out(2048);
  CountSink sink;
  sink.room = out.size() - 8;
  (void)split_packet(in, out, 8, sink);

  // The same bytes as a stream of packets: each is [len_hi len_lo] + bytes.
  WriteBatch batch(size % 2 == 0);
  size_t taken = 0, pos = 0;
  while (pos + 2 <= size) {
    size_t len = size_t{data[pos]} << 8 | data[pos + 1];
    pos += 2;
    len = std::min(len, size - pos);
    if (!batch.add(in.subspan(pos, len))) break;
    taken += len;
    pos += len;
  }
  batch.finish();
  size_t written = 0, segments = 0;
  for (size_t i = 0; i < batch.writes(); ++i) {
    for (const auto& v : batch.write(i)) written += v.iov_len;
    segments += batch.segments(i);
  }
  if (segments != batch.packets()) std::abort();
  if (written > taken + batch.writes() * kVnetHdrSize) std::abort();
  return 0;
}
