#include "worker/nvm/flow.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "common/json_writer.hpp"
#include "worker/nvm/elements.hpp"

namespace sslvpn::nvm {
namespace {

uint64_t num(std::span<const uint8_t> v) {
  return as_unsigned(v).value_or(0);
}

IpAddr addr(std::span<const uint8_t> v) {
  IpAddr a;
  if (v.size() != 4 && v.size() != 16) return a;
  a.family = v.size() == 4 ? AF_INET : AF_INET6;
  std::memcpy(a.b.data(), v.data(), v.size());
  return a;
}

std::string hex(std::span<const uint8_t> v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(v.size() * 2);
  for (uint8_t b : v) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Strings in IPFIX may be NUL-padded to a fixed length: the text ends at the first NUL. The
// result is valid UTF-8 whatever the exporter sent (a bad sequence becomes U+FFFD), and has no
// control characters (they become '?'): every later consumer (protobuf, JSON, terminals) can
// take it as it is.
std::string text(std::span<const uint8_t> v, const MapOptions& opt, uint64_t* truncated) {
  size_t n = 0;
  while (n < v.size() && v[n] != 0) ++n;
  std::string out = clean_utf8(v.first(std::min(n, opt.max_string)));
  bool cut = n > opt.max_string;
  if (out.size() > opt.max_string) {  // replacement characters took more room than the bytes
    size_t end = opt.max_string;
    while (end > 0 && (static_cast<uint8_t>(out[end]) & 0xc0) == 0x80) --end;  // a whole character
    out.resize(end);
    cut = true;
  }
  if (cut) ++*truncated;
  return out;
}

// Hex or text of an unknown value, cut to max_string.
std::string bounded(std::string s, const MapOptions& opt, uint64_t* truncated) {
  if (s.size() > opt.max_string) {
    s.resize(opt.max_string);
    ++*truncated;
  }
  return s;
}

// A basicList's entries joined with '|': as text, or (`as_hex`) each as hex (hashes).
std::string list_text(std::span<const uint8_t> v, const MapOptions& opt, uint64_t* truncated, bool as_hex) {
  auto l = basic_list(v, opt.max_list_entries);
  if (!l) return bounded(value_text(v), opt, truncated);
  std::string out;
  for (auto e : l->entries) {
    if (!out.empty()) out += '|';
    out += as_hex ? hex(e) : text(e, opt, truncated);
    if (out.size() > opt.max_string) {
      out = text({reinterpret_cast<const uint8_t*>(out.data()), out.size()}, opt, truncated);
      break;
    }
  }
  return out;
}

// An element's value as the text its record keeps.
std::string as_text(const Element& e, std::span<const uint8_t> v, const MapOptions& opt,
                    uint64_t* truncated) {
  switch (e.conv) {
    case Conv::Text:
      return text(v, opt, truncated);
    case Conv::Hex:
      return bounded(hex(v), opt, truncated);
    case Conv::Uint:
      return std::to_string(num(v));
    case Conv::List:
      return list_text(v, opt, truncated, false);
    case Conv::HexList:
      return list_text(v, opt, truncated, true);
    case Conv::Addr:
      return addr(v).valid() ? addr(v).to_string() : hex(v);
    case Conv::Time:
      return std::to_string(num(v));
  }
  return {};
}

// Elements no column holds: known ones under their name, unknown ones as "ENTERPRISE/ID".
struct Extra {
  const MapOptions& opt;
  uint64_t* truncated;
  JsonWriter w;
  bool any = false;
  void add(const Element* e, const Field& f) {
    if (!any) w.begin_object();
    any = true;
    w.key(e ? std::string(e->name) : std::to_string(f.enterprise) + "/" + std::to_string(f.id));
    if (e && e->conv == Conv::Uint)
      w.value(num(f.value));
    else
      w.value(e ? as_text(*e, f.value, opt, truncated) : bounded(value_text(f.value), opt, truncated));
  }
  std::string done() {
    if (!any) return {};
    w.end_object();
    return w.str();
  }
};

// NTP time (seconds since 1900 in the high 32 bits, a binary fraction in the low 32) as Unix
// milliseconds. Seconds below 1970's are NTP era 1 (from 2036 on), as RFC 5905 reads them.
int64_t ntp_to_unix_ms(uint64_t v) {
  constexpr uint64_t kNtpToUnix = 2208988800;  // seconds from 1900 to 1970
  uint64_t s = v >> 32;
  uint64_t unix_s = s >= kNtpToUnix ? s - kNtpToUnix : s + (uint64_t{1} << 32) - kNtpToUnix;
  return static_cast<int64_t>(unix_s * 1000 + (((v & 0xffffffffu) * 1000) >> 32));
}

// Times an exporter sends are bounded here (2^46 ms is over 2000 years), so that no
// conversion or sum below can overflow.
constexpr uint64_t kMaxTime = uint64_t{1} << 46;
int64_t add_ms(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? 0 : r;
}

// Times as the record gives them; resolved into Unix milliseconds by resolve().
struct Times {
  int64_t start_ms = 0, end_ms = 0, start_up = -1, end_up = -1, start_delta_us = -1, end_delta_us = -1;
  void set(TimeKind k, uint64_t v) {
    auto x = static_cast<int64_t>(std::min(v, kMaxTime));
    switch (k) {
      case TimeKind::StartNtp:
        start_ms = ntp_to_unix_ms(v);
        break;
      case TimeKind::EndNtp:
        end_ms = ntp_to_unix_ms(v);
        break;
      case TimeKind::StartDeltaUs:
        start_delta_us = static_cast<int64_t>(v & 0xffffffffu);  // unsigned32
        break;
      case TimeKind::EndDeltaUs:
        end_delta_us = static_cast<int64_t>(v & 0xffffffffu);
        break;
      case TimeKind::StartSec:
        start_ms = x * 1000;
        break;
      case TimeKind::EndSec:
        end_ms = x * 1000;
        break;
      case TimeKind::StartMs:
        start_ms = x;
        break;
      case TimeKind::EndMs:
        end_ms = x;
        break;
      case TimeKind::StartUptime:
        start_up = x;
        break;
      case TimeKind::EndUptime:
        end_up = x;
        break;
      case TimeKind::None:
        break;
    }
  }
  // Uptime-relative times need the exporter's boot time (systemInitTimeMilliseconds);
  // without any time the export time stands in.
  void resolve(FlowRecord& f, int64_t sys_init, uint32_t export_time) const {
    f.start_ms = start_ms;
    f.end_ms = end_ms;
    if (sys_init >= 0 && start_up >= 0) f.start_ms = add_ms(sys_init, start_up);
    if (sys_init >= 0 && end_up >= 0) f.end_ms = add_ms(sys_init, end_up);
    if (start_delta_us >= 0) f.start_ms = int64_t{export_time} * 1000 - start_delta_us / 1000;
    if (end_delta_us >= 0) f.end_ms = int64_t{export_time} * 1000 - end_delta_us / 1000;
    if (f.end_ms == 0) f.end_ms = f.start_ms ? f.start_ms : static_cast<int64_t>(export_time) * 1000;
    if (f.start_ms == 0) f.start_ms = f.end_ms;
  }
};

void set_flow_field(FlowRecord& fl, const Element& e, const Field& f, const MapOptions& opt,
                    uint64_t* truncated, Times& times, Extra& extra) {
  if (e.flow_text)
    fl.*e.flow_text = as_text(e, f.value, opt, truncated);
  else if (e.flow_u64)
    fl.*e.flow_u64 = num(f.value);
  else if (e.flow_u32)
    fl.*e.flow_u32 = static_cast<uint32_t>(num(f.value));
  else if (e.flow_u16)
    fl.*e.flow_u16 = static_cast<uint16_t>(num(f.value));
  else if (e.flow_u8)
    fl.*e.flow_u8 = static_cast<uint8_t>(num(f.value));
  else if (e.flow_addr)
    fl.*e.flow_addr = addr(f.value);
  else if (e.conv == Conv::Time)
    times.set(e.time, num(f.value));
  else
    extra.add(&e, f);
}

}  // namespace

std::string clean_utf8(std::span<const uint8_t> v) {
  std::string out;
  out.reserve(v.size());
  size_t i = 0;
  while (i < v.size()) {
    uint8_t b = v[i];
    if (b < 0x80) {
      out += b < 0x20 || b == 0x7f ? '?' : static_cast<char>(b);
      ++i;
      continue;
    }
    // The length of a well-formed sequence starting with b (RFC 3629), or 0.
    size_t len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    bool ok = len != 0 && i + len <= v.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (v[i + k] & 0xc0) == 0x80;
    if (ok && len == 3) {
      uint8_t c = v[i + 1];
      ok = !(b == 0xe0 && c < 0xa0) && !(b == 0xed && c >= 0xa0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      uint8_t c = v[i + 1];
      ok = !(b == 0xf0 && c < 0x90) && !(b == 0xf4 && c >= 0x90);  // overlong, past U+10FFFF
    }
    if (ok) {
      out.append(reinterpret_cast<const char*>(v.data() + i), len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

std::string value_text(std::span<const uint8_t> v) {
  bool printable = !v.empty();
  for (uint8_t b : v)
    if (b < 0x20 || b >= 0x7f) printable = false;
  return printable ? std::string(reinterpret_cast<const char*>(v.data()), v.size()) : hex(v);
}

std::optional<int64_t> system_init_ms(const RecordView& r) {
  for (const Field& f : r.fields)
    if (f.enterprise == 0 && f.id == 160)
      if (auto v = as_unsigned(f.value)) return static_cast<int64_t>(*v);
  return std::nullopt;
}

MappedRecord map_record(const RecordView& r, const std::string& exporter_ip, const MapOptions& opt,
                        int64_t sys_init_ms, uint64_t* truncated) {
  // What kind of record: flow keys make a flow; otherwise interface or identity elements.
  bool flow_keys = false, iface = false, identity = false;
  for (const Field& f : r.fields) {
    const Element* e = find_element(f.enterprise, f.id);
    Role role = e ? e->role : Role::Other;
    flow_keys |= role == Role::FlowKey;
    iface |= role == Role::Interface;
    identity |= role == Role::Identity;
  }
  Extra extra{opt, truncated};
  if (!flow_keys && (iface || identity)) {
    auto fill = [&](auto& rec, auto target) {
      rec.exporter = exporter_ip;
      for (const Field& f : r.fields) {
        const Element* e = find_element(f.enterprise, f.id);
        if (e && e->*target)
          rec.*(e->*target) = as_text(*e, f.value, opt, truncated);
        else
          extra.add(e, f);
      }
      rec.extra = extra.done();
    };
    if (iface) {
      InterfaceRecord rec;
      fill(rec, &Element::iface);
      return rec;
    }
    EndpointRecord rec;
    fill(rec, &Element::endpoint);
    return rec;
  }
  FlowRecord fl;
  fl.exporter = exporter_ip;
  fl.domain = r.domain;
  Times times;
  for (const Field& f : r.fields) {
    const Element* e = find_element(f.enterprise, f.id);
    if (e)
      set_flow_field(fl, *e, f, opt, truncated, times, extra);
    else
      extra.add(nullptr, f);
  }
  times.resolve(fl, sys_init_ms, r.export_time);
  if (fl.bytes == 0 && (fl.bytes_in || fl.bytes_out)) fl.bytes = fl.bytes_in + fl.bytes_out;
  fl.extra = extra.done();
  return fl;
}

}  // namespace sslvpn::nvm
