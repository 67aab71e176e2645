// CSTP/DTLS compression (worker/anyconnect/compression.hpp, lzs.hpp): LZS against the format's
// worked example and round trips, LZ4 through liblz4, method negotiation as ocserv does it, and
// the session compressing what is worth it and expanding what the client compressed.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/recording_sink.hpp"
#include "worker/anyconnect/compression.hpp"
#include "worker/anyconnect/cstp_session.hpp"
#include "worker/anyconnect/lzs.hpp"

using namespace sslvpn;
using namespace sslvpn::cstp;

namespace {

using testing::RecordingSink;

// An IPv4 packet from 10.0.0.5 with a compressible (text) or random payload.
std::vector<uint8_t> packet(size_t size, bool compressible, uint32_t seed = 1) {
  std::vector<uint8_t> p(size, 0);
  p[0] = 0x45;
  p[12] = 10, p[15] = 5;
  std::mt19937 rng(seed);
  const std::string text = "GET /index.html HTTP/1.1\r\nHost: intranet.example\r\nAccept: */*\r\n";
  for (size_t i = 20; i < size; ++i)
    p[i] = compressible ? static_cast<uint8_t>(text[i % text.size()]) : static_cast<uint8_t>(rng());
  return p;
}

std::vector<uint8_t> round_trip(Codec c, const std::vector<uint8_t>& in) {
  std::vector<uint8_t> packed(in.size()), out(kMaxDecompressed);
  auto n = compress(c, in, packed);
  if (!n) return {};
  auto m = decompress(c, std::span<const uint8_t>(packed.data(), *n), out);
  REQUIRE(m);
  out.resize(*m);
  return out;
}

}  // namespace

TEST_CASE("LZS: the worked example, and what decoders must refuse", "[compression]") {
  const std::vector<uint8_t> aaaa = {'A', 'A', 'A', 'A'};
  std::vector<uint8_t> out(16);
  auto n = lzs_compress(aaaa, out);
  REQUIRE(n);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(*n)) ==
        std::vector<uint8_t>{0x20, 0xE0, 0x5C, 0x00});  // literal A, match (1, 3), end marker
  std::vector<uint8_t> back(16);
  const uint8_t example[] = {0x20, 0xE0, 0x5C, 0x00};
  REQUIRE(lzs_decompress(example, back) == std::optional<size_t>(4));
  CHECK(std::vector<uint8_t>(back.begin(), back.begin() + 4) == aaaa);
  const uint8_t offset_zero[] = {0x80, 0x01, 0x80};
  CHECK_FALSE(lzs_decompress(offset_zero, back));
  const uint8_t before_start[] = {0xC1, 0x00};  // a match at offset 1 with nothing output yet
  CHECK_FALSE(lzs_decompress(before_start, back));
  const uint8_t no_end[] = {0x20, 0x80};  // a literal, then nothing
  CHECK_FALSE(lzs_decompress(no_end, back));
  std::vector<uint8_t> tiny(2);
  CHECK_FALSE(lzs_decompress(example, tiny));  // expands past the output
}

TEST_CASE("LZS and LZ4: compressible packets round-trip smaller; random ones are sent as they are",
          "[compression]") {
  for (Codec c : {Codec::Lzs, Codec::Lz4}) {
    for (size_t size : {300, 1400, 9000}) {
      auto p = packet(size, true);
      std::vector<uint8_t> packed(size);
      auto n = compress(c, p, packed);
      REQUIRE(n);
      CHECK(*n < size / 2);
      CHECK(round_trip(c, p) == p);
    }
    auto r = packet(1400, false);
    for (size_t i = 1; i < 20; ++i) r[i] = static_cast<uint8_t>(i * 37 + 11);  // no runs in the header either
    std::vector<uint8_t> packed(r.size());
    CHECK_FALSE(compress(c, r, packed));  // would not be smaller
  }
  // Long runs: lengths past 8 (the nibble form) and far offsets (the 11-bit form).
  std::vector<uint8_t> mixed = packet(4000, false, 7);
  std::copy(mixed.begin() + 100, mixed.begin() + 1100,
            mixed.begin() + 2500);  // offset 2400: beyond the window
  std::copy(mixed.begin() + 1000, mixed.begin() + 1600, mixed.begin() + 2000);  // offset 1000, length 600
  std::fill(mixed.begin() + 3500, mixed.begin() + 3900, 0x55);
  CHECK(round_trip(Codec::Lzs, mixed) == mixed);
}

TEST_CASE("compression: the server's first method the client offers, as the headers write them",
          "[compression]") {
  const Codec lz4_first[] = {Codec::Lz4, Codec::Lzs};
  const Codec lzs_first[] = {Codec::Lzs, Codec::Lz4};
  CHECK(choose_codec(",oc-lz4,lzs", lz4_first) == Codec::Lz4);  // openconnect >= 8.20
  CHECK(choose_codec("oc-lz4,lzs", lzs_first) == Codec::Lzs);
  CHECK(choose_codec(" LZS ", lz4_first) == Codec::Lzs);
  CHECK(choose_codec("deflate", lz4_first) == Codec::None);
  CHECK(choose_codec("", lz4_first) == Codec::None);
  CHECK(choose_codec("oc-lz4", {}) == Codec::None);  // compression off
  CHECK(codec_name(Codec::Lz4) == "oc-lz4");
  CHECK(codec_from_name("lz4") == Codec::Lz4);
  CHECK_FALSE(codec_from_name("deflate"));
}

TEST_CASE("compression: the session compresses large packets and expands the client's",
          "[compression][cstp]") {
  auto t0 = Clock::time_point{};
  SessionSettings s;
  s.ipv4 = *parse_ip("10.0.0.5");
  s.cstp_codec = Codec::Lzs;
  s.dtls_codec = Codec::Lz4;
  s.no_compress_limit = 256;
  CstpSession session(s, t0);
  RecordingSink sink;

  // Server to client: a large compressible packet goes as COMPRESSED, a small one as DATA.
  auto big = packet(1200, true);
  std::vector<uint8_t> buf(kHeaderSize + big.size());
  std::copy(big.begin(), big.end(), buf.begin() + kHeaderSize);
  auto framed = session.frame_stream(buf, big.size(), t0);
  CHECK(framed[6] == static_cast<uint8_t>(PacketType::Compressed));
  CHECK(framed.size() < kHeaderSize + big.size() / 2);
  std::vector<uint8_t> out(kMaxDecompressed);
  auto n = decompress(Codec::Lzs, framed.subspan(kHeaderSize), out);
  REQUIRE(n == std::optional<size_t>(big.size()));
  CHECK(std::equal(big.begin(), big.end(), out.begin()));
  auto dgram = session.frame_datagram(buf, big.size(), t0);
  CHECK(dgram[0] == static_cast<uint8_t>(PacketType::Compressed));
  auto small = packet(200, true);
  std::copy(small.begin(), small.end(), buf.begin() + kHeaderSize);
  CHECK(session.frame_stream(buf, small.size(), t0)[6] == static_cast<uint8_t>(PacketType::Data));
  CHECK(session.compressed_out() == 2);
  CHECK(session.bytes_out() == 2 * big.size() + small.size());

  // Client to server: COMPRESSED frames (CSTP with LZS, DTLS with LZ4) reach the TUN device expanded.
  std::vector<uint8_t> packed(big.size());
  auto m = compress(Codec::Lzs, big, packed);
  REQUIRE(m);
  std::vector<uint8_t> f(kHeaderSize + *m);
  write_header(std::span<uint8_t, kHeaderSize>(f.data(), kHeaderSize), PacketType::Compressed,
               static_cast<uint16_t>(*m));
  std::copy(packed.begin(), packed.begin() + static_cast<long>(*m), f.begin() + kHeaderSize);
  session.on_stream_record(f, t0, sink);
  auto k = compress(Codec::Lz4, big, packed);
  REQUIRE(k);
  std::vector<uint8_t> d{static_cast<uint8_t>(PacketType::Compressed)};
  d.insert(d.end(), packed.begin(), packed.begin() + static_cast<long>(*k));
  session.on_datagram(d, t0, sink);
  REQUIRE(sink.tun.size() == 2);
  CHECK(sink.tun[0] == big);
  CHECK(sink.tun[1] == big);
  CHECK(session.bytes_in() == 2 * big.size());

  // Garbage in a COMPRESSED frame is dropped; the session goes on.
  std::vector<uint8_t> junk{static_cast<uint8_t>(PacketType::Compressed), 0xff, 0xff, 0xff};
  session.on_datagram(junk, t0, sink);
  CHECK(session.dropped() == 1);
  CHECK_FALSE(session.ended());
  // A compressed packet that expands to a spoofed source is dropped like any other.
  auto spoofed = big;
  spoofed[15] = 6;
  k = compress(Codec::Lz4, spoofed, packed);
  std::vector<uint8_t> d2{static_cast<uint8_t>(PacketType::Compressed)};
  d2.insert(d2.end(), packed.begin(), packed.begin() + static_cast<long>(*k));
  session.on_datagram(d2, t0, sink);
  CHECK(sink.tun.size() == 2);
  CHECK(session.dropped() == 2);
}

TEST_CASE("compression: a COMPRESSED frame where none was negotiated ends the session",
          "[compression][cstp]") {
  auto t0 = Clock::time_point{};
  SessionSettings s;
  s.ipv4 = *parse_ip("10.0.0.5");
  CstpSession session(s, t0);
  RecordingSink sink;
  std::vector<uint8_t> f(kHeaderSize + 4, 0);
  write_header(std::span<uint8_t, kHeaderSize>(f.data(), kHeaderSize), PacketType::Compressed, 4);
  session.on_stream_record(f, t0, sink);
  CHECK(session.ended());
  CHECK(sink.tun.empty());
}
