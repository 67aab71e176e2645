// The IPFIX information elements the collector knows by name: IANA's flow keys, counters and
// times, and Cisco NVM's nvzFlow elements (enterprise 9). Each says how its value is read and
// where it lands (a flow, an endpoint identity or an interface record); flow.cpp does the rest.
// Pure data: adding an element is one row in elements.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "worker/nvm/flow.hpp"

namespace sslvpn::nvm {

// How a value is read.
enum class Conv : uint8_t {
  Text,     // a string: cleaned to UTF-8, cut at max_string
  Hex,      // raw octets (UDID, SHA-256 hashes) as hex
  Uint,     // an unsigned integer, reduced-size encoding allowed
  List,     // an RFC 6313 basicList of strings, joined with '|'
  HexList,  // a basicList of octet strings (hashes), as hex joined with '|'
  Addr,     // an IPv4 or IPv6 address (by its length)
  Time,     // one of the time elements (see TimeKind)
};

// StartNtp/EndNtp: dateTimeMicroseconds and dateTimeNanoseconds (RFC 7011 6.1.9-10: NTP
// seconds since 1900 and a binary fraction); *DeltaUs: microseconds before the export time.
enum class TimeKind : uint8_t {
  None,
  StartSec,
  EndSec,
  StartMs,
  EndMs,
  StartUptime,
  EndUptime,
  StartNtp,
  EndNtp,
  StartDeltaUs,
  EndDeltaUs
};

// What a record holding the element is: flow keys make a flow; otherwise identity or
// interface elements make those records.
enum class Role : uint8_t { Other, FlowKey, Identity, Interface };

struct Element {
  uint32_t enterprise;
  uint16_t id;
  const char* name;
  Conv conv;
  Role role = Role::Other;
  std::string FlowRecord::*flow_text = nullptr;
  uint64_t FlowRecord::*flow_u64 = nullptr;
  uint32_t FlowRecord::*flow_u32 = nullptr;
  uint16_t FlowRecord::*flow_u16 = nullptr;
  uint8_t FlowRecord::*flow_u8 = nullptr;
  IpAddr FlowRecord::*flow_addr = nullptr;
  std::string EndpointRecord::*endpoint = nullptr;
  std::string InterfaceRecord::*iface = nullptr;
  TimeKind time = TimeKind::None;
};

// The element with this id, or nullptr (then it is kept in `extra` as "ENTERPRISE/ID").
const Element* find_element(uint32_t enterprise, uint16_t id);

}  // namespace sslvpn::nvm
