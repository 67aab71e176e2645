#include "worker/anyconnect/lzs.hpp"

#include <array>

namespace sslvpn::cstp {
namespace {

constexpr size_t kWindow = 2047;  // the largest offset
constexpr size_t kMinMatch = 2;
constexpr size_t kHashBits = 12;

class BitWriter {
 public:
  explicit BitWriter(std::span<uint8_t> out) : out_(out) {}
  // Appends the low `n` bits of `v` (n <= 24), most significant first.
  bool put(uint32_t v, int n) {
    acc_ = (acc_ << n) | (v & ((1u << n) - 1));
    bits_ += n;
    while (bits_ >= 8) {
      if (pos_ == out_.size()) return false;
      bits_ -= 8;
      out_[pos_++] = static_cast<uint8_t>(acc_ >> bits_);
    }
    acc_ &= (1u << bits_) - 1;
    return true;
  }
  // Pads with zero bits to the byte boundary; the size written.
  std::optional<size_t> finish() {
    if (bits_ > 0 && !put(0, 8 - bits_)) return std::nullopt;
    return pos_;
  }

 private:
  std::span<uint8_t> out_;
  size_t pos_ = 0;
  uint32_t acc_ = 0;
  int bits_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> in) : in_(in) {}
  // The next `n` bits (n <= 24), most significant first; nullopt past the end.
  std::optional<uint32_t> get(int n) {
    while (bits_ < n) {  // bounded: at most 3 bytes
      if (pos_ == in_.size()) return std::nullopt;
      acc_ = acc_ << 8 | in_[pos_++];
      bits_ += 8;
    }
    bits_ -= n;
    return static_cast<uint32_t>(acc_ >> bits_) & ((1u << n) - 1);
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  uint64_t acc_ = 0;  // the low `bits_` bits are not read yet
  int bits_ = 0;
};

bool put_length(BitWriter& w, size_t len) {
  if (len <= 4) return w.put(static_cast<uint32_t>(len - 2), 2);
  if (len <= 7) return w.put(static_cast<uint32_t>(0b1100 | (len - 5)), 4);
  if (!w.put(0b1111, 4)) return false;
  size_t rest = len - 8;
  for (; rest >= 15; rest -= 15)
    if (!w.put(0b1111, 4)) return false;
  return w.put(static_cast<uint32_t>(rest), 4);
}

std::optional<size_t> get_length(BitReader& r, size_t limit) {
  auto a = r.get(2);
  if (!a) return std::nullopt;
  if (*a < 3) return *a + 2;
  auto b = r.get(2);
  if (!b) return std::nullopt;
  if (*b < 3) return *b + 5;
  size_t len = 8;
  for (;;) {  // bounded: each nibble adds 15 and the total may not pass `limit`
    auto n = r.get(4);
    if (!n) return std::nullopt;
    len += *n;
    if (len > limit) return std::nullopt;
    if (*n != 15) return len;
  }
}

uint32_t hash2(const uint8_t* p) {
  return ((p[0] << 8 | p[1]) * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

std::optional<size_t> lzs_compress(std::span<const uint8_t> in, std::span<uint8_t> out) noexcept {
  BitWriter w(out);
  std::array<int32_t, 1u << kHashBits> head;
  head.fill(-1);
  size_t i = 0;
  while (i < in.size()) {
    size_t best_len = 0, best_off = 0;
    if (i + kMinMatch <= in.size()) {
      uint32_t h = hash2(&in[i]);
      int32_t cand = head[h];
      head[h] = static_cast<int32_t>(i);
      if (cand >= 0 && i - static_cast<size_t>(cand) <= kWindow) {
        size_t c = static_cast<size_t>(cand), len = 0;
        while (i + len < in.size() && in[c + len] == in[i + len]) ++len;
        if (len >= kMinMatch) best_len = len, best_off = i - c;
      }
    }
    if (best_len == 0) {
      if (!w.put(in[i], 9)) return std::nullopt;  // 0 + the byte
      ++i;
      continue;
    }
    bool ok = best_off < 128 ? w.put(0b11u << 7 | static_cast<uint32_t>(best_off), 9)
                             : w.put(0b10u << 11 | static_cast<uint32_t>(best_off), 13);
    if (!ok || !put_length(w, best_len)) return std::nullopt;
    // Index the positions the match covered, so later matches can start inside it.
    for (size_t k = i + 1; k < i + best_len && k + kMinMatch <= in.size(); ++k)
      head[hash2(&in[k])] = static_cast<int32_t>(k);
    i += best_len;
  }
  if (!w.put(0b110000000, 9)) return std::nullopt;
  return w.finish();
}

std::optional<size_t> lzs_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) noexcept {
  BitReader r(in);
  size_t n = 0;
  for (;;) {  // bounded: every round consumes input bits
    auto tag = r.get(1);
    if (!tag) return std::nullopt;  // no end marker
    if (*tag == 0) {
      auto b = r.get(8);
      if (!b || n == out.size()) return std::nullopt;
      out[n++] = static_cast<uint8_t>(*b);
      continue;
    }
    auto form = r.get(1);
    if (!form) return std::nullopt;
    auto off = r.get(*form == 1 ? 7 : 11);
    if (!off) return std::nullopt;
    if (*form == 1 && *off == 0) return n;  // end marker
    if (*off == 0 || *off > n) return std::nullopt;
    auto len = get_length(r, out.size() - n);
    if (!len || *len > out.size() - n) return std::nullopt;
    for (size_t k = 0; k < *len; ++k, ++n) out[n] = out[n - *off];  // may overlap: byte by byte
  }
}

}  // namespace sslvpn::cstp
