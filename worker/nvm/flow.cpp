#include "worker/nvm/flow.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "common/json_writer.hpp"

namespace sslvpn::nvm {
namespace {

constexpr uint32_t kCisco = 9;

// Where a value goes. One enum, one switch: adding an element is one table row and one case.
enum class Col : uint8_t {
  None,  // known by name only: kept in `extra` under that name
  Octets,
  Packets,
  Proto,
  SrcPort,
  DstPort,
  Src4,
  Dst4,
  Src6,
  Dst6,
  Direction,
  StartSec,
  EndSec,
  StartMs,
  EndMs,
  StartUptime,
  EndUptime,
  SysInitMs,
  Udid,
  User,
  ProcessAccount,
  ParentAccount,
  Process,
  ProcessHash,
  Parent,
  ParentHash,
  DnsSuffix,
  DestHostname,
  BytesIn,
  BytesOut,
  Modules,
  Pid,
  ParentPid,
  ProcessPath,
  ParentPath,
  ProcessArgs,
  ParentArgs,
  NvzStartMs,
  NvzEndMs,
  IfUid,
  // identity (endpoint) record
  Hostname,
  OsName,
  OsVersion,
  OsEdition,
  Manufacturer,
  SystemType,
  AgentVersion,
  // interface record
  IfIndex,
  IfType,
  IfName,
  IfDetails,
  IfMac,
};

struct Element {
  uint32_t enterprise;
  uint16_t id;
  Col col;
  const char* name;
};

// IANA's elements (https://www.iana.org/assignments/ipfix, RFC 7012), then Cisco NVM's
// nvzFlow elements (enterprise 9). The nvzFlow ids and their encodings:
//  [C] seen in a real AnyConnect NVM capture: github.com/obsrvbl-oss/ona,
//      src/scripts/tests/test_nvzflow_reader.py (templates 262/266/267/268, domain 127), and
//      named in ElastiFlow's ipfix.yml (github.com/robcowart/elastiflow, PEN 9 section);
//      12361-12363 also in Cisco's Secure Client admin guide (NVM chapter).
//  [G] 12364-12372: named by NetFlow Logic's AnyConnect module and Cisco Secure Workload's
//      NVM notes (agent version, flow start/end msec), ids not published; as Cisco's later
//      agents number them (to be checked against a 5.x capture). Templates decide the layout:
//      nothing here depends on an element's position.
constexpr Element kElements[] = {
    {0, 1, Col::Octets, "octetDeltaCount"},
    {0, 85, Col::Octets, "octetTotalCount"},
    {0, 2, Col::Packets, "packetDeltaCount"},
    {0, 86, Col::Packets, "packetTotalCount"},
    {0, 4, Col::Proto, "protocolIdentifier"},
    {0, 7, Col::SrcPort, "sourceTransportPort"},
    {0, 11, Col::DstPort, "destinationTransportPort"},
    {0, 8, Col::Src4, "sourceIPv4Address"},
    {0, 12, Col::Dst4, "destinationIPv4Address"},
    {0, 27, Col::Src6, "sourceIPv6Address"},
    {0, 28, Col::Dst6, "destinationIPv6Address"},
    {0, 61, Col::Direction, "flowDirection"},
    {0, 150, Col::StartSec, "flowStartSeconds"},
    {0, 151, Col::EndSec, "flowEndSeconds"},
    {0, 152, Col::StartMs, "flowStartMilliseconds"},
    {0, 153, Col::EndMs, "flowEndMilliseconds"},
    {0, 22, Col::StartUptime, "flowStartSysUpTime"},
    {0, 21, Col::EndUptime, "flowEndSysUpTime"},
    {0, 160, Col::SysInitMs, "systemInitTimeMilliseconds"},
    {0, 350, Col::Hostname, "virtualStationName"},
    {kCisco, 12332, Col::Udid, "nvzFlowUDID"},                           // [C] 20 octets
    {kCisco, 12333, Col::User, "nvzFlowLoggedInUser"},                   // [C]
    {kCisco, 12334, Col::OsName, "nvzFlowOSName"},                       // [C]
    {kCisco, 12335, Col::OsVersion, "nvzFlowOSVersion"},                 // [C]
    {kCisco, 12336, Col::Manufacturer, "nvzFlowSystemManufacturer"},     // [C]
    {kCisco, 12337, Col::SystemType, "nvzFlowSystemType"},               // [C]
    {kCisco, 12338, Col::ProcessAccount, "nvzFlowProcessAccount"},       // [C]
    {kCisco, 12339, Col::ParentAccount, "nvzFlowParentProcessAccount"},  // [C]
    {kCisco, 12340, Col::Process, "nvzFlowProcessName"},                 // [C]
    {kCisco, 12341, Col::ProcessHash, "nvzFlowProcessHash"},             // [C] SHA-256, 32 octets
    {kCisco, 12342, Col::Parent, "nvzFlowParentProcessName"},            // [C]
    {kCisco, 12343, Col::ParentHash, "nvzFlowParentProcessHash"},        // [C]
    {kCisco, 12344, Col::DnsSuffix, "nvzFlowDNSSuffix"},                 // [C]
    {kCisco, 12345, Col::DestHostname, "nvzFlowDestinationHostname"},    // [C]
    {kCisco, 12346, Col::BytesIn, "nvzFlowL4ByteCountIn"},               // [C] received by the endpoint
    {kCisco, 12347, Col::BytesOut, "nvzFlowL4ByteCountOut"},             // [C] sent by the endpoint
    {kCisco, 12351, Col::OsEdition, "nvzFlowOSEdition"},                 // [C]
    {kCisco, 12352, Col::Modules, "nvzFlowModuleNameList"},              // [C] basicList of 9/12348
    {kCisco, 12353, Col::None, "nvzFlowModuleHashList"},                 // [C] basicList of 9/12350
    {kCisco, 12354, Col::None, "nvzFlowCoordList"},                      // name only (ElastiFlow)
    {kCisco, 12355, Col::IfUid, "nvzFlowInterfaceInfoUID"},              // [C] flow -> interface record
    {kCisco, 12356, Col::IfIndex, "nvzFlowInterfaceIndex"},              // [C]
    {kCisco, 12357, Col::IfType, "nvzFlowInterfaceType"},                // [C]
    {kCisco, 12358, Col::IfName, "nvzFlowInterfaceName"},                // [C]
    {kCisco, 12359, Col::IfDetails, "nvzFlowInterfaceDetailsList"},      // [C]
    {kCisco, 12360, Col::IfMac, "nvzFlowInterfaceMacaddr"},              // [C]
    {kCisco, 12361, Col::None, "nvzFlowLoggedInUserAccountType"},        // [C]
    {kCisco, 12362, Col::None, "nvzFlowProcessAccountType"},             // [C]
    {kCisco, 12363, Col::None, "nvzFlowParentProcessAccountType"},       // [C]
    {kCisco, 12364, Col::AgentVersion, "nvzFlowAgentVersion"},           // [G]
    {kCisco, 12365, Col::Pid, "nvzFlowProcessId"},                       // [G]
    {kCisco, 12366, Col::ParentPid, "nvzFlowParentProcessId"},           // [G]
    {kCisco, 12367, Col::ProcessPath, "nvzFlowProcessPath"},             // [G]
    {kCisco, 12368, Col::ParentPath, "nvzFlowParentProcessPath"},        // [G]
    {kCisco, 12369, Col::ProcessArgs, "nvzFlowProcessArgs"},             // [G]
    {kCisco, 12370, Col::ParentArgs, "nvzFlowParentProcessArgs"},        // [G]
    {kCisco, 12371, Col::NvzStartMs, "nvzFlowFlowStartMsec"},            // [G]
    {kCisco, 12372, Col::NvzEndMs, "nvzFlowFlowEndMsec"},                // [G]
};

const Element* element_of(const Field& f) {
  for (const Element& e : kElements)
    if (e.id == f.id && e.enterprise == f.enterprise) return &e;
  return nullptr;
}

Col column_of(const Field& f) {
  const Element* e = element_of(f);
  return e ? e->col : Col::None;
}

bool is_identity(Col c) {
  return c >= Col::Hostname && c <= Col::AgentVersion;
}
bool is_interface(Col c) {
  return c >= Col::IfIndex;
}

uint64_t num(std::span<const uint8_t> v) {
  return as_unsigned(v).value_or(0);
}

IpAddr addr(std::span<const uint8_t> v, int family) {
  IpAddr a;
  if (v.size() != (family == AF_INET ? 4u : 16u)) return a;
  a.family = family;
  std::memcpy(a.b.data(), v.data(), v.size());
  return a;
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

// Hex or text of an unknown value, cut to max_string.
std::string bounded(std::string s, const MapOptions& opt, uint64_t* truncated) {
  if (s.size() > opt.max_string) {
    s.resize(opt.max_string);
    ++*truncated;
  }
  return s;
}

std::string list_text(std::span<const uint8_t> v, const MapOptions& opt, uint64_t* truncated) {
  auto l = basic_list(v, opt.max_list_entries);
  if (!l) return bounded(value_text(v), opt, truncated);
  std::string out;
  for (auto e : l->entries) {
    if (!out.empty()) out += '|';
    out += text(e, opt, truncated);
    if (out.size() > opt.max_string) {
      MapOptions rest = opt;
      out = text({reinterpret_cast<const uint8_t*>(out.data()), out.size()}, rest, truncated);
      break;
    }
  }
  return out;
}

struct Extra {
  const MapOptions& opt;
  uint64_t* truncated;
  JsonWriter w;
  bool any = false;
  // Known elements under their name, unknown ones as "ENTERPRISE/ID".
  void add(const Field& f) {
    if (!any) w.begin_object();
    any = true;
    const Element* e = element_of(f);
    w.key(e ? std::string(e->name) : std::to_string(f.enterprise) + "/" + std::to_string(f.id));
    if (f.value.size() <= 8 && e && e->col == Col::None && f.id >= 12361 && f.id <= 12363)
      w.value(as_unsigned(f.value).value_or(0));
    else
      w.value(bounded(value_text(f.value), opt, truncated));
  }
  std::string done() {
    if (!any) return {};
    w.end_object();
    return w.str();
  }
};

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
    Col c = column_of(f);
    flow_keys |= c == Col::Src4 || c == Col::Src6 || c == Col::Dst4 || c == Col::Dst6;
    iface |= is_interface(c);
    identity |= is_identity(c) || c == Col::User;
  }
  auto t = [&](const Field& f) { return text(f.value, opt, truncated); };
  Extra extra{opt, truncated};
  if (!flow_keys && iface) {
    InterfaceRecord rec;
    rec.exporter = exporter_ip;
    for (const Field& f : r.fields) {
      switch (column_of(f)) {
        case Col::Udid:
          rec.udid = hex(f.value);
          break;
        case Col::IfUid:
          rec.interface_uid = std::to_string(num(f.value));
          break;
        case Col::IfIndex:
          rec.index = static_cast<uint32_t>(num(f.value));
          break;
        case Col::IfType:
          rec.type = std::to_string(num(f.value));
          break;
        case Col::IfName:
          rec.name = t(f);
          break;
        case Col::IfDetails:
          rec.details = t(f);
          break;
        case Col::IfMac:
          rec.mac = t(f);
          break;
        default:
          extra.add(f);
      }
    }
    rec.extra = extra.done();
    return rec;
  }
  if (!flow_keys && identity) {
    EndpointRecord rec;
    rec.exporter = exporter_ip;
    for (const Field& f : r.fields) {
      switch (column_of(f)) {
        case Col::Udid:
          rec.udid = hex(f.value);
          break;
        case Col::User:
          rec.user = t(f);
          break;
        case Col::OsName:
          rec.os_name = t(f);
          break;
        case Col::OsVersion:
          rec.os_version = t(f);
          break;
        case Col::OsEdition:
          rec.os_edition = t(f);
          break;
        case Col::Manufacturer:
          rec.manufacturer = t(f);
          break;
        case Col::SystemType:
          rec.system_type = t(f);
          break;
        case Col::AgentVersion:
          rec.agent_version = t(f);
          break;
        case Col::Hostname:
          rec.hostname = t(f);
          break;
        default:
          extra.add(f);
      }
    }
    rec.extra = extra.done();
    return rec;
  }
  FlowRecord fl;
  fl.exporter = exporter_ip;
  fl.domain = r.domain;
  int64_t start_up = -1, end_up = -1, sys_init = sys_init_ms;
  for (const Field& f : r.fields) {
    switch (column_of(f)) {
      case Col::Octets:
        fl.bytes = num(f.value);
        break;
      case Col::Packets:
        fl.packets = num(f.value);
        break;
      case Col::Proto:
        fl.proto = static_cast<uint8_t>(num(f.value));
        break;
      case Col::SrcPort:
        fl.sport = static_cast<uint16_t>(num(f.value));
        break;
      case Col::DstPort:
        fl.dport = static_cast<uint16_t>(num(f.value));
        break;
      case Col::Src4:
        fl.src = addr(f.value, AF_INET);
        break;
      case Col::Dst4:
        fl.dst = addr(f.value, AF_INET);
        break;
      case Col::Src6:
        fl.src = addr(f.value, AF_INET6);
        break;
      case Col::Dst6:
        fl.dst = addr(f.value, AF_INET6);
        break;
      case Col::Direction:
        fl.direction = static_cast<uint8_t>(num(f.value));
        break;
      case Col::StartSec:
        fl.start_ms = static_cast<int64_t>(num(f.value)) * 1000;
        break;
      case Col::EndSec:
        fl.end_ms = static_cast<int64_t>(num(f.value)) * 1000;
        break;
      case Col::StartMs:
      case Col::NvzStartMs:
        fl.start_ms = static_cast<int64_t>(num(f.value));
        break;
      case Col::EndMs:
      case Col::NvzEndMs:
        fl.end_ms = static_cast<int64_t>(num(f.value));
        break;
      case Col::StartUptime:
        start_up = static_cast<int64_t>(num(f.value));
        break;
      case Col::EndUptime:
        end_up = static_cast<int64_t>(num(f.value));
        break;
      case Col::SysInitMs:
        sys_init = static_cast<int64_t>(num(f.value));
        break;
      case Col::Udid:
        fl.udid = hex(f.value);
        break;
      case Col::User:
        fl.claimed_user = t(f);
        break;
      case Col::OsName:
        fl.os_name = t(f);
        break;
      case Col::OsVersion:
        fl.os_version = t(f);
        break;
      case Col::AgentVersion:
        fl.agent_version = t(f);
        break;
      case Col::Process:
        fl.process = t(f);
        break;
      case Col::ProcessHash:
        fl.process_hash = hex(f.value);
        break;
      case Col::ProcessPath:
        fl.process_path = t(f);
        break;
      case Col::ProcessArgs:
        fl.process_args = t(f);
        break;
      case Col::ProcessAccount:
        fl.process_account = t(f);
        break;
      case Col::ParentAccount:
        fl.parent_account = t(f);
        break;
      case Col::DnsSuffix:
        fl.dns_suffix = t(f);
        break;
      case Col::IfUid:
        fl.interface_uid = static_cast<uint32_t>(num(f.value));
        break;
      case Col::Pid:
        fl.pid = static_cast<uint32_t>(num(f.value));
        break;
      case Col::Parent:
        fl.parent = t(f);
        break;
      case Col::ParentHash:
        fl.parent_hash = hex(f.value);
        break;
      case Col::ParentPath:
        fl.parent_path = t(f);
        break;
      case Col::ParentArgs:
        fl.parent_args = t(f);
        break;
      case Col::ParentPid:
        fl.parent_pid = static_cast<uint32_t>(num(f.value));
        break;
      case Col::DestHostname:
        fl.dest_hostname = t(f);
        break;
      case Col::BytesIn:
        fl.bytes_in = num(f.value);
        break;
      case Col::BytesOut:
        fl.bytes_out = num(f.value);
        break;
      case Col::Modules:
        fl.modules = list_text(f.value, opt, truncated);
        break;
      default:
        extra.add(f);
    }
  }
  // Uptime-relative times (flowStart/EndSysUpTime) need the exporter's boot time; without
  // systemInitTimeMilliseconds in the record they stay relative and land in `extra`.
  if (sys_init >= 0 && start_up >= 0) fl.start_ms = sys_init + start_up;
  if (sys_init >= 0 && end_up >= 0) fl.end_ms = sys_init + end_up;
  int64_t exported = static_cast<int64_t>(r.export_time) * 1000;
  if (fl.end_ms == 0) fl.end_ms = fl.start_ms ? fl.start_ms : exported;
  if (fl.start_ms == 0) fl.start_ms = fl.end_ms;
  if (fl.bytes == 0 && (fl.bytes_in || fl.bytes_out)) fl.bytes = fl.bytes_in + fl.bytes_out;
  fl.extra = extra.done();
  return fl;
}

}  // namespace sslvpn::nvm
