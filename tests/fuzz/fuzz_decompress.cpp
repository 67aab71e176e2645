// A client that negotiated compression sends COMPRESSED frames: any bytes, expanded by LZS or
// LZ4 into a 16 KB buffer. Never out of bounds; what LZS expands re-compresses and round-trips.
#include <cstdint>
#include <vector>

#include "worker/anyconnect/compression.hpp"
#include "worker/anyconnect/lzs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  using namespace sslvpn::cstp;
  std::vector<uint8_t> out(kMaxDecompressed);
  (void)decompress(Codec::Lz4, {d, n}, out);
  auto m = decompress(Codec::Lzs, {d, n}, out);
  if (m) {
    std::vector<uint8_t> packed(*m * 2 + 16), back(kMaxDecompressed);
    auto p = lzs_compress(std::span<const uint8_t>(out.data(), *m), packed);
    if (!p) __builtin_trap();  // twice the size plus slack always fits (9 bits per byte at worst)
    auto r = lzs_decompress(std::span<const uint8_t>(packed.data(), *p), back);
    if (!r || *r != *m || !std::equal(back.begin(), back.begin() + static_cast<long>(*m), out.begin()))
      __builtin_trap();
  }
  return 0;
}
