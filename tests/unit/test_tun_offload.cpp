#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "worker/tun/inet_csum.hpp"
#include "worker/tun/packet.hpp"
#include "worker/tun/split.hpp"
#include "worker/tun/write_batch.hpp"

using namespace sslvpn;
using namespace sslvpn::tun;

namespace {

using Bytes = std::vector<uint8_t>;

struct Seg {
  bool v6 = false;
  uint32_t seq = 1000;
  uint16_t id = 7;
  uint8_t flags = kTcpAck;
  size_t payload = 1400;
  uint16_t sport = 40000, dport = 5201;
  uint8_t ttl = 64;
  uint8_t fill = 0;  // payload byte pattern offset
  bool with_options = true;
};

// A TCP packet with correct checksums, built independently of the code under test's helpers
// (a plain 16-bit word loop).
uint16_t slow_sum(const Bytes& b, size_t from, size_t to, uint32_t acc = 0) {
  for (size_t i = from; i < to; i += 2) acc += uint32_t{b[i]} << 8 | (i + 1 < to ? b[i + 1] : 0);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

Bytes make_tcp(const Seg& s) {
  size_t ip = s.v6 ? 40 : 20, th = s.with_options ? 32 : 20;
  Bytes p(ip + th + s.payload, 0);
  if (s.v6) {
    p[0] = 0x60;
    store_be16(&p[4], static_cast<uint16_t>(th + s.payload));
    p[6] = kProtoTcp;
    p[7] = s.ttl;
    p[8] = 0xfd;
    p[23] = 2;
    p[24] = 0xfd;
    p[39] = 1;
  } else {
    p[0] = 0x45;
    store_be16(&p[2], static_cast<uint16_t>(p.size()));
    store_be16(&p[4], s.id);
    p[6] = 0x40;  // DF
    p[8] = s.ttl;
    p[9] = kProtoTcp;
    p[12] = 10, p[13] = 88, p[14] = 0, p[15] = 2;
    p[16] = 10, p[17] = 88, p[18] = 1, p[19] = 5;
    store_be16(&p[10], static_cast<uint16_t>(~slow_sum(p, 0, 20)));
  }
  uint8_t* t = &p[ip];
  store_be16(t, s.sport);
  store_be16(t + 2, s.dport);
  store_be32(t + 4, s.seq);
  store_be32(t + 8, 555);
  t[12] = static_cast<uint8_t>((th / 4) << 4);
  t[13] = s.flags;
  store_be16(t + 14, 502);
  if (s.with_options) {  // NOP NOP timestamps
    t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10;
    store_be32(t + 24, 123456);
    store_be32(t + 28, 654321);
  }
  for (size_t i = 0; i < s.payload; ++i) p[ip + th + i] = static_cast<uint8_t>(i * 7 + s.fill + s.seq);
  // pseudo header
  uint32_t acc = 0;
  size_t a = s.v6 ? 8 : 12, alen = s.v6 ? 32 : 8;
  for (size_t i = 0; i < alen; i += 2) acc += uint32_t{p[a + i]} << 8 | p[a + i + 1];
  acc += kProtoTcp + static_cast<uint32_t>(th + s.payload);
  store_be16(t + 16, static_cast<uint16_t>(~slow_sum(p, ip, p.size(), acc)));
  return p;
}

Bytes flatten(std::span<const iovec> iov) {
  Bytes out;
  for (const auto& v : iov) {
    auto* b = static_cast<const uint8_t*>(v.iov_base);
    out.insert(out.end(), b, b + v.iov_len);
  }
  return out;
}

struct Collect : SegmentSink {
  Bytes buf = Bytes(70000);
  std::vector<Bytes> got;
  void on_segment(size_t len) override { got.emplace_back(buf.begin() + 8, buf.begin() + 8 + long(len)); }
};

std::vector<Bytes> split_all(const Bytes& in) {
  Collect c;
  auto r = split_packet(in, c.buf, 8, c);
  REQUIRE(r.ok());
  REQUIRE(*r == c.got.size());
  return c.got;
}

std::vector<Bytes> stream(bool v6, int n, size_t last_payload) {
  std::vector<Bytes> out;
  for (int i = 0; i < n; ++i) {
    Seg s;
    s.v6 = v6;
    s.seq = 1000 + static_cast<uint32_t>(i) * 1400;
    s.id = static_cast<uint16_t>(7 + i);
    s.payload = i == n - 1 ? last_payload : 1400;
    out.push_back(make_tcp(s));
  }
  return out;
}

}  // namespace

TEST_CASE("internet checksum matches a word-by-word sum, any length and alignment", "[tun]") {
  Bytes b(301);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t len : {0, 1, 2, 7, 8, 9, 64, 300, 301}) {
    Bytes part(b.begin(), b.begin() + long(len));
    CHECK(csum_add(0, part) == slow_sum(part, 0, part.size()));
  }
  // partial sums over even splits combine
  Bytes whole(b.begin(), b.begin() + 300);
  uint16_t split = csum_add(csum_add(0, std::span(whole).first(122)), std::span(whole).subspan(122));
  CHECK(split == slow_sum(whole, 0, whole.size()));
  // RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2
  Bytes rfc = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(csum_add(0, rfc) == 0xddf2);
}

TEST_CASE("a TCP packet view checks lengths and checksums", "[tun]") {
  auto p = make_tcp(Seg{});
  auto v = parse_tcp(p);
  REQUIRE(v);
  CHECK(v->ip_len == 20);
  CHECK(v->tcp_len == 32);
  CHECK(v->payload == 1400);
  CHECK(checksums_ok(p, *v));
  p[100] ^= 1;
  CHECK_FALSE(checksums_ok(p, *v));
  auto q = make_tcp(Seg{});
  q[2] ^= 1;  // total length disagrees
  CHECK_FALSE(parse_tcp(q));
  auto f = make_tcp(Seg{});
  f[6] |= 0x20;  // more fragments
  CHECK_FALSE(parse_tcp(f));
  CHECK_FALSE(parse_tcp(Bytes{0x45, 0}));
  CHECK_FALSE(parse_tcp(Bytes{}));
  auto six = make_tcp(Seg{.v6 = true});
  auto v6 = parse_tcp(six);
  REQUIRE(v6);
  CHECK(v6->v6);
  CHECK(checksums_ok(six, *v6));
}

TEST_CASE("consecutive segments of a flow become one GSO write that splits back into them", "[tun]") {
  for (bool v6 : {false, true}) {
    auto segs = stream(v6, 5, 333);
    WriteBatch b(true);
    for (auto& s : segs) REQUIRE(b.add(s));
    b.finish();
    REQUIRE(b.writes() == 1);
    CHECK(b.segments(0) == 5);
    Bytes w = flatten(b.write(0));
    VnetHdr h = decode_vnet_hdr(std::span<const uint8_t, kVnetHdrSize>(w.data(), kVnetHdrSize));
    CHECK(h.flags == kNeedsCsum);
    CHECK(h.gso_type == (v6 ? kGsoTcpV6 : kGsoTcpV4));
    CHECK(h.gso_size == 1400);
    CHECK(h.csum_start == (v6 ? 40 : 20));
    CHECK(h.csum_offset == 16);
    CHECK(h.hdr_len == (v6 ? 72 : 52));
    auto v = parse_tcp(std::span(w).subspan(kVnetHdrSize));
    REQUIRE(v);
    CHECK(v->payload == 4 * 1400 + 333);
    // CHECKSUM_PARTIAL: the TCP checksum field holds the (uninverted) pseudo-header sum.
    Bytes pk(w.begin() + kVnetHdrSize, w.end());
    size_t a = v6 ? 8 : 12, alen = v6 ? 32 : 8;
    uint32_t acc = kProtoTcp + static_cast<uint32_t>(pk.size() - v->ip_len);
    CHECK(load_be16(&pk[v->ip_len + 16]) == slow_sum(pk, a, a + alen, acc));
    if (!v6) CHECK(slow_sum(pk, 0, 20) == 0xffff);  // the IPv4 header checksum holds
    // What the kernel's GSO would make of it is exactly what came in.
    auto back = split_all(w);
    REQUIRE(back.size() == segs.size());
    for (size_t i = 0; i < segs.size(); ++i) CHECK(back[i] == segs[i]);
  }
}

TEST_CASE("segments that GRO would not merge are written on their own, in order", "[tun]") {
  WriteBatch b(true);
  auto a = stream(false, 3, 1400);
  Seg gap;
  gap.seq = 1000 + 5 * 1400;  // a hole in the sequence
  gap.id = 20;
  Seg fin;
  fin.seq = gap.seq + 1400;
  fin.flags = kTcpAck | kTcpFin;
  fin.id = 21;
  Seg bad;
  bad.seq = fin.seq + 1400;
  Bytes badp = make_tcp(bad);
  badp[200] ^= 0xff;  // a wrong checksum: the kernel must see (and drop) it as it came
  for (auto& s : a) REQUIRE(b.add(s));
  REQUIRE(b.add(make_tcp(gap)));
  REQUIRE(b.add(make_tcp(fin)));
  REQUIRE(b.add(badp));
  b.finish();
  REQUIRE(b.writes() == 4);
  CHECK(b.segments(0) == 3);
  CHECK(b.segments(1) == 1);
  CHECK(b.segments(2) == 1);
  CHECK(b.segments(3) == 1);
  Bytes last = flatten(b.write(3));
  CHECK(Bytes(last.begin() + kVnetHdrSize, last.end()) == badp);
  CHECK(last[0] == 0);  // no offload: the packet goes exactly as it came
  CHECK(last[1] == kGsoNone);
}

TEST_CASE("a short segment or PSH ends a group; other flows and protocols interleave", "[tun]") {
  WriteBatch b(true);
  Seg s1, s2, s3, o1, o2;
  s1.seq = 1;
  s2.seq = 1401;
  s2.payload = 700;  // short: the group ends here
  s3.seq = 2101;     // next in sequence, but after a short one
  o1.sport = 40001;
  o1.flags = kTcpAck | kTcpPsh;  // PSH on the first: nothing may join
  o2.sport = 40001;
  o2.seq = o1.seq + 1400;
  Bytes udp = {0x45, 0, 0,  28, 0, 0, 0x40, 0,  64, 17, 0, 0, 10, 88,
               0,    2, 10, 88, 1, 5, 0,    53, 0,  53, 0, 8, 0,  0};
  REQUIRE(b.add(make_tcp(s1)));
  REQUIRE(b.add(make_tcp(o1)));
  REQUIRE(b.add(udp));
  REQUIRE(b.add(make_tcp(s2)));
  REQUIRE(b.add(make_tcp(o2)));
  REQUIRE(b.add(make_tcp(s3)));
  b.finish();
  REQUIRE(b.writes() == 5);
  CHECK(b.segments(0) == 2);  // s1 + s2
  CHECK(b.segments(1) == 1);  // o1
  CHECK(b.segments(2) == 1);  // udp
  CHECK(flatten(b.write(2)) == [&] {
    Bytes z(kVnetHdrSize, 0);
    z.insert(z.end(), udp.begin(), udp.end());
    return z;
  }());
  CHECK(b.segments(3) == 1);  // o2 (o1's group was closed by PSH)
  CHECK(b.segments(4) == 1);  // s3
  auto merged = split_all(flatten(b.write(0)));
  REQUIRE(merged.size() == 2);
  CHECK(merged[0] == make_tcp(s1));
}

TEST_CASE("PSH on the last segment is kept on the merged packet's last segment", "[tun]") {
  auto segs = stream(false, 3, 1400);
  Seg p;
  p.seq = 1000 + 3 * 1400;
  p.id = 10;
  p.flags = kTcpAck | kTcpPsh;
  segs.push_back(make_tcp(p));
  WriteBatch b(true);
  for (auto& s : segs) REQUIRE(b.add(s));
  b.finish();
  REQUIRE(b.writes() == 1);
  auto back = split_all(flatten(b.write(0)));
  REQUIRE(back.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(back[i] == segs[i]);
}

TEST_CASE("a batch has bounded room, and without the virtio-net header nothing is merged", "[tun]") {
  WriteBatch b(true);
  auto segs = stream(false, 70, 1400);
  size_t taken = 0;
  for (auto& s : segs)
    if (b.add(s)) ++taken;
  CHECK(taken == WriteBatch::kMaxPackets);
  b.finish();
  size_t total = 0;
  for (size_t i = 0; i < b.writes(); ++i) {
    total += b.segments(i);
    CHECK(flatten(b.write(i)).size() - kVnetHdrSize <= WriteBatch::kMaxGroupBytes);
  }
  CHECK(total == WriteBatch::kMaxPackets);
  CHECK(b.writes() > 1);  // 64 x 1452 bytes do not fit one IP length field
  b.clear();
  CHECK(b.empty());

  WriteBatch plain(false);
  auto few = stream(false, 3, 1400);
  for (auto& s : few) REQUIRE(plain.add(s));
  plain.finish();
  REQUIRE(plain.writes() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(flatten(plain.write(i)) == few[i]);
}

TEST_CASE("splitting completes partial checksums and refuses what it cannot read", "[tun]") {
  auto p = make_tcp(Seg{.payload = 99});
  Bytes in(kVnetHdrSize, 0);
  VnetHdr h;
  h.flags = kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  encode_vnet_hdr(h, std::span<uint8_t, kVnetHdrSize>(in.data(), kVnetHdrSize));
  Bytes partial = p;
  auto v = parse_tcp(p);
  store_be16(&partial[36], pseudo_header_sum(src_addr(p, *v), dst_addr(p, *v), kProtoTcp, 32 + 99));
  in.insert(in.end(), partial.begin(), partial.end());
  auto out = split_all(in);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == p);

  Collect c;
  CHECK_FALSE(split_packet(Bytes(5, 0), c.buf, 8, c).ok());
  Bytes bad_type = in;
  bad_type[1] = 3;  // UDP offload: never offered
  CHECK_FALSE(split_packet(bad_type, c.buf, 8, c).ok());
  Bytes bad_csum = in;
  store_be16(&bad_csum[6], 5000);  // csum_start past the end
  CHECK_FALSE(split_packet(bad_csum, c.buf, 8, c).ok());
  // GSO whose segments would not fit the output buffer
  WriteBatch b(true);
  for (auto& s : stream(false, 3, 1400)) REQUIRE(b.add(s));
  b.finish();
  Bytes gso = flatten(b.write(0));
  Bytes small(1000);
  CHECK_FALSE(split_packet(gso, small, 8, c).ok());
  CHECK(c.got.empty());
}

TEST_CASE("split GSO segments carry FIN only on the last and CWR only on the first", "[tun]") {
  Seg big;
  big.payload = 3000;
  big.flags = kTcpAck | kTcpFin | kTcpCwr | kTcpPsh;
  Bytes p = make_tcp(big);
  auto v = parse_tcp(p);
  Bytes in(kVnetHdrSize, 0);
  VnetHdr h;
  h.flags = kNeedsCsum;
  h.gso_type = kGsoTcpV4;
  h.gso_size = 1400;
  h.csum_start = 20;
  h.csum_offset = 16;
  encode_vnet_hdr(h, std::span<uint8_t, kVnetHdrSize>(in.data(), kVnetHdrSize));
  in.insert(in.end(), p.begin(), p.end());
  auto out = split_all(in);
  REQUIRE(out.size() == 3);
  uint8_t f0 = out[0][20 + 13], f1 = out[1][20 + 13], f2 = out[2][20 + 13];
  CHECK(f0 == (kTcpAck | kTcpCwr));
  CHECK(f1 == kTcpAck);
  CHECK(f2 == (kTcpAck | kTcpFin | kTcpPsh));
  size_t total = 0;
  for (auto& s : out) {
    auto sv = parse_tcp(s);
    REQUIRE(sv);
    CHECK(checksums_ok(s, *sv));
    total += sv->payload;
  }
  CHECK(total == v->payload);
  CHECK(load_be32(&out[2][24]) == big.seq + 2800);
  CHECK(load_be16(&out[1][4]) == big.id + 1);
}

#include "worker/tunnel/udp_batch.hpp"

TEST_CASE("UDP GSO runs: equal sizes, a shorter last one, bounded count and bytes", "[tun]") {
  using sslvpn::worker::plan_gso_runs;
  std::vector<uint16_t> sizes = {1400, 1400, 1400, 600, 1400, 1400, 80, 1500, 1400};
  std::vector<sslvpn::worker::GsoRun> runs;
  plan_gso_runs(sizes, 64, 65000, runs);
  REQUIRE(runs.size() == 3);
  CHECK((runs[0].first == 0 && runs[0].count == 4 && runs[0].size == 1400));  // ends with the short one
  CHECK((runs[1].first == 4 && runs[1].count == 3 && runs[1].size == 1400));
  CHECK((runs[2].first == 7 && runs[2].count == 2 && runs[2].size == 1500));  // larger: a new run
  std::vector<uint16_t> many(100, 1000);
  std::vector<sslvpn::worker::GsoRun> capped, by_bytes, single, none;
  plan_gso_runs(many, 64, 65000, capped);
  REQUIRE(capped.size() == 2);
  CHECK(capped[0].count == 64);
  CHECK(capped[1].count == 36);
  plan_gso_runs(many, 64, 10500, by_bytes);
  CHECK(by_bytes[0].count == 10);
  plan_gso_runs(many, 1, 65000, single);
  CHECK(single.size() == 100);
  plan_gso_runs({}, 64, 65000, none);
  CHECK(none.empty());
  plan_gso_runs({}, 64, 65000, single);  // a reused vector is emptied
  CHECK(single.empty());
}
