// The NVM collector's pure parts: IPFIX decoding (templates, options, withdrawal, variable
// length, basicList, limits, sequence accounting), the mapping to flows, attribution, privacy,
// and the SQLite store.
#include <unistd.h>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/hex.hpp"
#include "tests/unit/nvm_samples.hpp"
#include "worker/nvm/attribution.hpp"
#include "worker/nvm/flow.hpp"
#include "worker/nvm/ipfix.hpp"
#include "worker/nvm/privacy.hpp"
#include "worker/nvm/store.hpp"

using namespace sslvpn;
using namespace sslvpn::nvm;

namespace {

// Builds IPFIX messages field by field.
struct Msg {
  std::vector<uint8_t> b;
  void u8(uint8_t v) { b.push_back(v); }
  void u16(uint16_t v) { u8(v >> 8), u8(v & 0xff); }
  void u32(uint32_t v) { u16(v >> 16), u16(v & 0xffff); }
  void bytes(const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }
  void varlen(const std::string& s, bool long_form = false) {
    if (s.size() < 255 && !long_form) {
      u8(static_cast<uint8_t>(s.size()));
    } else {
      u8(255);
      u16(static_cast<uint16_t>(s.size()));
    }
    bytes(s);
  }
  size_t set_start = 0;
  void begin_set(uint16_t id) {
    set_start = b.size();
    u16(id);
    u16(0);
  }
  void end_set() {
    size_t len = b.size() - set_start;
    b[set_start + 2] = static_cast<uint8_t>(len >> 8);
    b[set_start + 3] = static_cast<uint8_t>(len);
  }
  // The finished message: header (version 10, length, time, sequence, domain) and the sets.
  std::vector<uint8_t> done(uint32_t seq, uint32_t domain = 1, uint32_t time = 1700000000) const {
    Msg h;
    h.u16(10);
    h.u16(static_cast<uint16_t>(16 + b.size()));
    h.u32(time);
    h.u32(seq);
    h.u32(domain);
    h.b.insert(h.b.end(), b.begin(), b.end());
    return h.b;
  }
};

// Template 300: protocol, src4, dst4, ports, octets (reduced to 4 octets), nvzFlow process
// name (variable), L4 bytes in; template 301: endpoint identity (UDID, OS name).
Msg templates() {
  Msg m;
  m.begin_set(2);
  m.u16(300), m.u16(8);
  for (auto [id, len] : {std::pair{4, 1}, {8, 4}, {12, 4}, {7, 2}, {11, 2}, {1, 4}})
    m.u16(static_cast<uint16_t>(id)), m.u16(static_cast<uint16_t>(len));
  m.u16(0x8000 | 12340), m.u16(kVarLen), m.u32(9);
  m.u16(0x8000 | 12346), m.u16(8), m.u32(9);
  m.u16(301), m.u16(2);
  m.u16(0x8000 | 12332), m.u16(20), m.u32(9);
  m.u16(0x8000 | 12334), m.u16(kVarLen), m.u32(9);
  m.end_set();
  return m;
}

void flow_record(Msg& m, uint16_t sport, const std::string& process, bool long_form = false) {
  m.u8(6);
  m.u32(0x0a4d0005);  // 10.77.0.5
  m.u32(0x5db8d70e);  // 93.184.215.14
  m.u16(sport);
  m.u16(443);
  m.u32(1234);
  m.varlen(process, long_form);
  m.u32(0), m.u32(999);
}

std::vector<uint8_t> from_hex(const char* h) {
  auto s = hex_decode(h);
  REQUIRE(s);
  return std::vector<uint8_t>(s->begin(), s->end());
}

struct Collected {
  std::vector<MappedRecord> records;
  std::vector<int64_t> sys_init;
  IpfixDecoder::OnRecord on_record() {
    return [this](const RecordView& r) {
      uint64_t t = 0;
      records.push_back(map_record(r, "192.0.2.9", {}, sys_init.empty() ? -1 : sys_init.back(), &t));
    };
  }
  IpfixDecoder::OnRecord on_options() {
    return [this](const RecordView& r) {
      if (auto v = system_init_ms(r)) sys_init.push_back(*v);
    };
  }
};

}  // namespace

TEST_CASE("IPFIX header: version, length, truncation", "[nvm]") {
  Msg m;
  auto ok = m.done(7, 3);
  auto h = parse_header(ok);
  REQUIRE(h);
  CHECK(h->sequence == 7);
  CHECK(h->domain == 3);
  auto bad = ok;
  bad[1] = 9;  // NetFlow v9
  CHECK(parse_header(bad).error() == Errc::UnknownType);
  auto longer = ok;
  longer.push_back(0);  // the datagram holds more than the header says
  CHECK(parse_header(longer).error() == Errc::BadLength);
  CHECK(parse_header(std::span(ok).first(10)).error() == Errc::Truncated);
}

TEST_CASE("IPFIX: templates, then data records with enterprise and variable-length fields", "[nvm]") {
  IpfixDecoder dec;
  Collected c;
  auto t = templates().done(0);
  REQUIRE(dec.decode(t, "e1", 1, c.on_record()));
  CHECK(dec.counters().templates_learned == 2);
  Msg d;
  d.begin_set(300);
  flow_record(d, 40001, "firefox");
  flow_record(d, 40002, std::string(300, 'a'), true);  // the 3-byte length form
  flow_record(d, 40003, "x", true);                    // the long form for a short value
  d.u8(0), d.u8(0);                                    // padding shorter than a record
  d.end_set();
  auto msg = d.done(0);
  REQUIRE(dec.decode(msg, "e1", 2, c.on_record()));
  REQUIRE(c.records.size() == 3);
  auto& f = std::get<FlowRecord>(c.records[0]);
  CHECK(f.src.to_string() == "10.77.0.5");
  CHECK(f.dst.to_string() == "93.184.215.14");
  CHECK(f.sport == 40001);
  CHECK(f.proto == 6);
  CHECK(f.bytes == 1234);  // reduced-size: 4 octets
  CHECK(f.process == "firefox");
  CHECK(f.bytes_in == 999);
  CHECK(f.end_ms == 1700000000000);  // no time fields: the export time
  CHECK(std::get<FlowRecord>(c.records[1]).process == std::string(300, 'a'));
  CHECK(std::get<FlowRecord>(c.records[2]).process == "x");
  CHECK(dec.counters().records == 3);
}

TEST_CASE("IPFIX: endpoint identity records, unknown elements kept, bad UTF-8 cleaned", "[nvm]") {
  IpfixDecoder dec;
  Collected c;
  Msg m = templates();
  m.begin_set(2);
  m.u16(302), m.u16(3);
  m.u16(0x8000 | 12332), m.u16(20), m.u32(9);
  m.u16(0x8000 | 12333), m.u16(kVarLen), m.u32(9);
  m.u16(0x8000 | 999), m.u16(2), m.u32(12345);  // nobody's element
  m.end_set();
  m.begin_set(302);
  m.bytes(std::string(20, '\x11'));
  m.varlen("bob\xff\x01");
  m.u16(0xbeef);
  m.end_set();
  auto msg = m.done(0);
  REQUIRE(dec.decode(msg, "e1", 1, c.on_record()));
  REQUIRE(c.records.size() == 1);
  auto& e = std::get<EndpointRecord>(c.records[0]);
  CHECK(e.udid == std::string(40, '1'));  // raw octets, as hex
  CHECK(e.user == "bob\xEF\xBF\xBD?");
  CHECK(e.extra == R"({"12345/999":"beef"})");
}

TEST_CASE("IPFIX: options records and uptime-relative times (softflowd)", "[nvm]") {
  IpfixDecoder dec;
  Collected c;
  auto m1 = from_hex(nvm_samples::kSoftflowdMsg1);
  auto h = dec.decode(m1, "127.0.0.1 40000", 1, c.on_record(), c.on_options());
  REQUIRE(h);
  CHECK(dec.counters().options_records == 1);
  REQUIRE(c.sys_init.size() == 1);
  CHECK(dec.counters().records == 21);
  REQUIRE(c.records.size() == 21);
  auto& f = std::get<FlowRecord>(c.records[0]);
  CHECK(f.src.to_string() == "10.10.0.2");
  CHECK(f.dport == 80);
  CHECK(f.packets == 6);
  CHECK(f.bytes == 360);
  CHECK(f.start_ms == c.sys_init[0]);
  CHECK(f.end_ms == c.sys_init[0] + 100);
  // IPv6 records of template 2048
  bool v6 = false;
  for (auto& r : c.records)
    if (auto* fl = std::get_if<FlowRecord>(&r); fl && fl->src.to_string() == "2001:db8::10") v6 = true;
  CHECK(v6);
  // The second message: softflowd's sequence counts its own records. No loss is reported, and
  // the exporter is known to count that way.
  auto m2 = from_hex(nvm_samples::kSoftflowdMsg2);
  REQUIRE(dec.decode(m2, "127.0.0.1 40000", 2, c.on_record(), c.on_options()));
  CHECK(dec.counters().sequence_lost == 0);
  CHECK(dec.exporters().at("127.0.0.1 40000").domains.at(0).mode == DomainState::SeqMode::Inclusive);
}

TEST_CASE("IPFIX: micro- and nanosecond times (NTP format) and deltas from the export time", "[nvm]") {
  // Template 310: src4, dst4, flowStartMicroseconds (154), flowEndNanoseconds (157);
  // template 311: src4, dst4, flowStartDeltaMicroseconds (158), flowEndDeltaMicroseconds (159).
  Msg m;
  m.begin_set(2);
  m.u16(310), m.u16(4);
  for (auto [id, len] : {std::pair{8, 4}, {12, 4}, {154, 8}, {157, 8}})
    m.u16(static_cast<uint16_t>(id)), m.u16(static_cast<uint16_t>(len));
  m.u16(311), m.u16(4);
  for (auto [id, len] : {std::pair{8, 4}, {12, 4}, {158, 4}, {159, 4}})
    m.u16(static_cast<uint16_t>(id)), m.u16(static_cast<uint16_t>(len));
  m.end_set();
  // 1700000000 s Unix is 3908988800 s NTP (+2208988800). Fractions: 0x80000000 is half a second.
  m.begin_set(310);
  m.u32(0x0a4d0005), m.u32(0x5db8d70e);
  m.u32(3908988800u), m.u32(0x80000000u);  // start 1700000000.500
  m.u32(3908988802u), m.u32(0x40000000u);  // end   1700000002.250
  m.end_set();
  m.begin_set(311);
  m.u32(0x0a4d0006), m.u32(0x5db8d70e);
  m.u32(7500000), m.u32(1250000);  // 7.5 s and 1.25 s before the export time
  m.end_set();
  IpfixDecoder dec;
  Collected c;
  REQUIRE(dec.decode(m.done(1, 1, 1700000010), "192.0.2.9 4739", 1, c.on_record(), c.on_options()));
  REQUIRE(c.records.size() == 2);
  auto& a = std::get<FlowRecord>(c.records[0]);
  CHECK(a.start_ms == 1700000000500);
  CHECK(a.end_ms == 1700000002250);
  auto& b = std::get<FlowRecord>(c.records[1]);
  CHECK(b.start_ms == 1700000002500);
  CHECK(b.end_ms == 1700000008750);

  // Hostile sizes: flowStartSeconds in 8 bytes of 0xff is bounded (no overflow), and NTP
  // seconds below 1970's are era 1 (2036 on).
  Msg h;
  h.begin_set(2);
  h.u16(312), h.u16(4);
  for (auto [id, len] : {std::pair{8, 4}, {12, 4}, {150, 8}, {155, 8}})
    h.u16(static_cast<uint16_t>(id)), h.u16(static_cast<uint16_t>(len));
  h.end_set();
  h.begin_set(312);
  h.u32(0x0a4d0007), h.u32(0x5db8d70e);
  h.u32(0xffffffffu), h.u32(0xffffffffu);
  h.u32(0), h.u32(0);  // NTP 0: 2036-02-07 06:28:16 UTC
  h.end_set();
  Collected c2;
  REQUIRE(dec.decode(h.done(2, 1, 1700000010), "192.0.2.9 4739", 2, c2.on_record(), c2.on_options()));
  REQUIRE(c2.records.size() == 1);
  auto& z = std::get<FlowRecord>(c2.records[0]);
  CHECK(z.start_ms == (int64_t{1} << 46) * 1000);
  CHECK(z.end_ms == int64_t{2085978496} * 1000);
}

TEST_CASE("IPFIX: sequence numbers count lost records (RFC 7011)", "[nvm]") {
  IpfixDecoder dec;
  Collected c;
  auto t = templates().done(0);
  REQUIRE(dec.decode(t, "e", 1, c.on_record()));
  auto data = [](uint32_t seq, int n) {
    Msg d;
    d.begin_set(300);
    for (int i = 0; i < n; ++i) flow_record(d, static_cast<uint16_t>(1000 + i), "p");
    d.end_set();
    return d.done(seq);
  };
  REQUIRE(dec.decode(data(0, 2), "e", 2, c.on_record()));
  REQUIRE(dec.decode(data(2, 3), "e", 3, c.on_record()));  // as expected
  CHECK(dec.counters().sequence_lost == 0);
  REQUIRE(dec.decode(data(12, 1), "e", 4, c.on_record()));  // 5 expected: 7 records lost
  CHECK(dec.counters().sequence_lost == 7);
  CHECK(dec.exporters().at("e").domains.at(1).mode == DomainState::SeqMode::Rfc);
  REQUIRE(dec.decode(data(3, 1), "e", 5, c.on_record()));  // back in time: disorder, not loss
  CHECK(dec.counters().sequence_disorder == 1);
  CHECK(dec.counters().sequence_lost == 7);
}

TEST_CASE("IPFIX: template withdrawal, unknown templates, lifetime", "[nvm]") {
  IpfixDecoder dec(IpfixLimits{.template_lifetime = 100});
  Collected c;
  auto t = templates().done(0);
  REQUIRE(dec.decode(t, "e", 1, c.on_record()));
  Msg w;
  w.begin_set(2);
  w.u16(300), w.u16(0);  // withdraw 300
  w.end_set();
  auto wm = w.done(0);
  REQUIRE(dec.decode(wm, "e", 2, c.on_record()));
  CHECK(dec.counters().templates_withdrawn == 1);
  Msg d;
  d.begin_set(300);
  flow_record(d, 1, "p");
  d.end_set();
  auto dm = d.done(0);
  REQUIRE(dec.decode(dm, "e", 3, c.on_record()));
  CHECK(c.records.empty());
  CHECK(dec.counters().sets_without_template == 1);
  Msg all;
  all.begin_set(2);
  all.u16(2), all.u16(0);  // withdraw every template of the set's kind
  all.end_set();
  auto am = all.done(0);
  REQUIRE(dec.decode(am, "e", 4, c.on_record()));
  CHECK(dec.exporters().at("e").domains.at(1).templates.empty());
  REQUIRE(dec.decode(t, "e", 5, c.on_record()));
  dec.expire(50);
  CHECK(dec.exporters().at("e").domains.at(1).templates.size() == 2);
  dec.expire(500);
  CHECK(dec.exporters().at("e").domains.at(1).templates.empty());
  CHECK(dec.counters().templates_expired == 2);
}

TEST_CASE("IPFIX: limits on templates, fields, exporters; malformed input refused", "[nvm]") {
  IpfixLimits lim;
  lim.max_templates_per_domain = 4;
  lim.max_fields_per_template = 3;
  lim.max_exporters = 2;
  IpfixDecoder dec(lim);
  Collected c;
  Msg flood;
  flood.begin_set(2);
  for (uint16_t id = 256; id < 266; ++id) flood.u16(id), flood.u16(1), flood.u16(4), flood.u16(1);
  flood.end_set();
  auto fm = flood.done(0);
  (void)dec.decode(fm, "e", 1, c.on_record());
  CHECK(dec.exporters().at("e").domains.at(1).templates.size() == 4);
  CHECK(dec.counters().templates_refused == 1);  // the set stops at the first refusal
  Msg wide;
  wide.begin_set(2);
  wide.u16(400), wide.u16(5);
  for (int i = 0; i < 5; ++i) wide.u16(4), wide.u16(1);
  wide.end_set();
  auto wm = wide.done(0, 2);
  (void)dec.decode(wm, "e", 2, c.on_record());
  CHECK(dec.counters().templates_refused == 2);
  // A set length past the message's end, and one shorter than its header.
  auto over = templates().done(0);
  over[16 + 3] = 0xff;
  over.resize(over.size());  // the header's length still matches the datagram
  CHECK(!dec.decode(over, "e", 3, c.on_record()));
  Msg tiny;
  tiny.u16(300), tiny.u16(2);
  auto tm = tiny.done(0);
  CHECK(!dec.decode(tm, "e", 4, c.on_record()));
  // A variable-length value that runs past its set (templates within the default limits).
  IpfixDecoder dec2;
  auto t = templates().done(0);
  (void)dec2.decode(t, "e", 5, c.on_record());
  Msg d;
  d.begin_set(300);
  d.u8(6), d.u32(1), d.u32(2), d.u16(3), d.u16(4), d.u32(5);
  d.u8(200), d.bytes("short and then some");  // 200 octets promised, 19 there
  d.end_set();
  auto dm = d.done(0);
  (void)dec2.decode(dm, "e", 6, c.on_record());
  CHECK(dec2.counters().malformed_records == 1);
  // New exporters push the quietest out.
  (void)dec.decode(t, "f", 7, c.on_record());
  (void)dec.decode(t, "g", 8, c.on_record());
  CHECK(dec.exporters().size() == 2);
  CHECK(dec.counters().exporters_forgotten == 1);
  CHECK(dec.counters().malformed_messages >= 2);
}

TEST_CASE("basicList (RFC 6313): fixed and variable entries, limits", "[nvm]") {
  Msg l;
  l.u8(3);
  l.u16(0x8000 | 12348), l.u16(kVarLen), l.u32(9);
  l.varlen("kernel32.dll");
  l.varlen("user32.dll");
  auto r = basic_list(l.b, 8);
  REQUIRE(r);
  CHECK(r->semantic == 3);
  CHECK(r->element.enterprise == 9);
  REQUIRE(r->entries.size() == 2);
  CHECK(std::string(r->entries[1].begin(), r->entries[1].end()) == "user32.dll");
  CHECK(basic_list(l.b, 1).error() == Errc::Limit);
  Msg f;
  f.u8(3), f.u16(4), f.u16(2), f.u16(1), f.u8(2);  // an odd octet: truncated entry
  CHECK(basic_list(f.b, 8).error() == Errc::Truncated);
  Msg z;
  z.u8(3), z.u16(4), z.u16(0), z.u8(1);
  CHECK(!basic_list(z.b, 8));
}

TEST_CASE("Attribution: who held an address when", "[nvm]") {
  SessionDirectory dir(3600);
  IpAddr a = *parse_ip("10.77.0.5"), v6 = *parse_ip("fd00::5");
  dir.up(Holder{1, "alice", "staff", "s1", "anyconnect", 100000, 0}, a, v6);
  CHECK(dir.find(a, 150000)->user == "alice");
  CHECK(dir.find(v6, 150000)->session == "s1");
  CHECK(dir.find(a, 90000) == nullptr);  // before, beyond the slack
  dir.down(1, 200000);
  CHECK(dir.find(a, 203000)->user == "alice");  // within the slack
  CHECK(dir.find(a, 300000) == nullptr);
  dir.up(Holder{2, "bob", "", "s2", "openvpn", 400000, 0}, a, IpAddr{});
  CHECK(dir.find(a, 150000)->user == "alice");  // history
  CHECK(dir.find(a, 450000)->user == "bob");
  CHECK(dir.live() == 1);
  dir.prune(200000 + 3600 * 1000 + 1);
  CHECK(dir.find(a, 150000) == nullptr);
  CHECK(dir.find(a, 450000)->user == "bob");
}

TEST_CASE("Privacy: pseudonyms, truncated arguments, private destinations", "[nvm]") {
  PrivacyOptions p;
  p.anonymize_users = true;
  p.truncate_args = 4;
  p.drop_private = true;
  p.key.fill(7);
  FlowRecord f;
  f.vpn_user = "alice";
  f.claimed_user = "CORP\\alice";
  f.process_args = "--password=hunter2";
  f.dst = *parse_ip("93.184.215.14");
  REQUIRE(apply_privacy(p, f));
  CHECK(f.vpn_user.rfind("anon-", 0) == 0);
  CHECK(f.vpn_user.size() == 21);
  CHECK(f.vpn_user == pseudonym(p.key, "alice"));
  auto other = p.key;
  other[0] = 8;
  CHECK(pseudonym(other, "alice") != f.vpn_user);
  CHECK(f.process_args == "--pa");
  for (const char* d : {"10.1.2.3", "172.20.0.1", "192.168.1.1", "fd12::1", "fe80::1", "100.64.0.1"}) {
    FlowRecord g;
    g.dst = *parse_ip(d);
    CHECK_FALSE(apply_privacy(p, g));
  }
  CHECK_FALSE(is_private(*parse_ip("172.32.0.1")));
}

TEST_CASE("SQLite store: write, query with filters, retention, key kept", "[nvm]") {
  char dir[] = "/tmp/nvm-store-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  std::string path = std::string(dir) + "/flows.db";
  std::string err;
  std::array<uint8_t, 32> key{};
  {
    auto s = open_sqlite_store(path, true, &err);
    REQUIRE(s);
    auto& st = **s;
    std::vector<FlowRecord> flows;
    for (int i = 0; i < 10; ++i) {
      FlowRecord f;
      f.start_ms = f.end_ms = 1000000 + i * 1000;
      f.src = *parse_ip("10.77.0.5");
      f.dst = *parse_ip(i % 2 ? "93.184.215.14" : "2001:db8::1");
      f.sport = static_cast<uint16_t>(40000 + i);
      f.vpn_user = i < 6 ? "alice" : "";
      f.process = i % 3 ? "curl" : "firefox";
      f.dest_hostname = i % 2 ? "www.example.com" : "";
      f.bytes = static_cast<uint64_t>(i) * 100;
      flows.push_back(f);
    }
    REQUIRE(st.write(flows, {}, {}));
    auto all = st.query(FlowQuery{});
    REQUIRE(all);
    REQUIRE(all->size() == 10);
    CHECK((*all)[0].sport == 40009);  // newest first
    CHECK((*all)[0].dst.to_string() == "93.184.215.14");
    CHECK(st.query(FlowQuery{.user = "alice"})->size() == 6);
    CHECK(st.query(FlowQuery{.dest = "example"})->size() == 5);
    CHECK(st.query(FlowQuery{.dest = "2001:db8::1"})->size() == 5);
    CHECK(st.query(FlowQuery{.dest = "2001:0db8:0::0001"})->size() == 5);  // any spelling of it
    CHECK(st.query(FlowQuery{.process = "firefox"})->size() == 4);
    CHECK(st.query(FlowQuery{.since_ms = 1005000})->size() == 5);
    CHECK(st.query(FlowQuery{.limit = 3})->size() == 3);
    CHECK(st.query(FlowQuery{.user = "x' OR '1'='1"})->empty());  // bound, not spliced
    auto n = st.expire(1003000, 0);
    REQUIRE(n);
    CHECK(*n == 3);
    CHECK(st.stats()->flows == 7);
    key = st.pseudonym_key().value();
  }
  auto again = open_sqlite_store(path, true, &err);
  REQUIRE(again);
  CHECK((*again)->stats()->flows == 7);
  CHECK((*again)->pseudonym_key().value() == key);
  CHECK(key != std::array<uint8_t, 32>{});
  std::string rm = std::string("rm -rf ") + dir;
  CHECK(std::system(rm.c_str()) == 0);
}

TEST_CASE("SQLite store: nvm-store-dst-index makes or drops the dst index, an admin's own kept", "[nvm]") {
  char dir[] = "/tmp/nvm-store-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  std::string path = std::string(dir) + "/flows.db";
  auto indexes = [&] {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::string names;
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows'"
                               " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                               -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      names += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) + " ";
    sqlite3_finalize(st);
    sqlite3_close(db);
    return names;
  };
  {  // the store an earlier version made, and an index the admin added
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE flows(id INTEGER PRIMARY KEY, end_ms INTEGER, dst TEXT);"
                         "CREATE INDEX flows_dst ON flows(dst); CREATE INDEX by_dst ON flows(dst, end_ms);"
                         "INSERT INTO flows(end_ms, dst) VALUES(5, '192.0.2.1');",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK(indexes() == "by_dst flows_dst ");
  std::string err;
  {
    auto s = open_sqlite_store(path, false, &err);
    INFO(err);
    REQUIRE(s);
    auto old = (*s)->query(FlowQuery{.dest = "192.0.2.1"});
    REQUIRE(old);
    REQUIRE(old->size() == 1);
    CHECK(old->front().dst.to_string() == "192.0.2.1");
  }
  CHECK(indexes() == "by_dst flows_end flows_user ");  // the columns an older store lacked added first
  {
    auto s = open_sqlite_store(path, true, &err);
    REQUIRE(s);
  }
  CHECK(indexes() == "by_dst flows_dst flows_end flows_user ");
  std::string rm = std::string("rm -rf ") + dir;
  CHECK(std::system(rm.c_str()) == 0);
}
