#include "worker/nvm/elements.hpp"

#include <array>

namespace sslvpn::nvm {
namespace {

constexpr uint32_t kCisco = 9;

// IANA's elements (https://www.iana.org/assignments/ipfix, RFC 7012). ICMP's type and code
// (type * 256 + code) stand in for the destination port, as nfdump and softflowd show them.
// systemInitTimeMilliseconds (160) comes in options records: see system_init_ms().
const Element kIana[] = {
    {.enterprise = 0, .id = 1, .name = "octetDeltaCount", .conv = Conv::Uint, .flow_u64 = &FlowRecord::bytes},
    {.enterprise = 0,
     .id = 85,
     .name = "octetTotalCount",
     .conv = Conv::Uint,
     .flow_u64 = &FlowRecord::bytes},
    {.enterprise = 0,
     .id = 2,
     .name = "packetDeltaCount",
     .conv = Conv::Uint,
     .flow_u64 = &FlowRecord::packets},
    {.enterprise = 0,
     .id = 86,
     .name = "packetTotalCount",
     .conv = Conv::Uint,
     .flow_u64 = &FlowRecord::packets},
    {.enterprise = 0,
     .id = 4,
     .name = "protocolIdentifier",
     .conv = Conv::Uint,
     .flow_u8 = &FlowRecord::proto},
    {.enterprise = 0,
     .id = 7,
     .name = "sourceTransportPort",
     .conv = Conv::Uint,
     .flow_u16 = &FlowRecord::sport},
    {.enterprise = 0,
     .id = 11,
     .name = "destinationTransportPort",
     .conv = Conv::Uint,
     .flow_u16 = &FlowRecord::dport},
    {.enterprise = 0,
     .id = 32,
     .name = "icmpTypeCodeIPv4",
     .conv = Conv::Uint,
     .flow_u16 = &FlowRecord::dport},
    {.enterprise = 0,
     .id = 139,
     .name = "icmpTypeCodeIPv6",
     .conv = Conv::Uint,
     .flow_u16 = &FlowRecord::dport},
    {.enterprise = 0,
     .id = 8,
     .name = "sourceIPv4Address",
     .conv = Conv::Addr,
     .role = Role::FlowKey,
     .flow_addr = &FlowRecord::src},
    {.enterprise = 0,
     .id = 12,
     .name = "destinationIPv4Address",
     .conv = Conv::Addr,
     .role = Role::FlowKey,
     .flow_addr = &FlowRecord::dst},
    {.enterprise = 0,
     .id = 27,
     .name = "sourceIPv6Address",
     .conv = Conv::Addr,
     .role = Role::FlowKey,
     .flow_addr = &FlowRecord::src},
    {.enterprise = 0,
     .id = 28,
     .name = "destinationIPv6Address",
     .conv = Conv::Addr,
     .role = Role::FlowKey,
     .flow_addr = &FlowRecord::dst},
    {.enterprise = 0,
     .id = 61,
     .name = "flowDirection",
     .conv = Conv::Uint,
     .flow_u8 = &FlowRecord::direction},
    {.enterprise = 0, .id = 150, .name = "flowStartSeconds", .conv = Conv::Time, .time = TimeKind::StartSec},
    {.enterprise = 0, .id = 151, .name = "flowEndSeconds", .conv = Conv::Time, .time = TimeKind::EndSec},
    {.enterprise = 0,
     .id = 152,
     .name = "flowStartMilliseconds",
     .conv = Conv::Time,
     .time = TimeKind::StartMs},
    {.enterprise = 0, .id = 153, .name = "flowEndMilliseconds", .conv = Conv::Time, .time = TimeKind::EndMs},
    {.enterprise = 0,
     .id = 154,
     .name = "flowStartMicroseconds",
     .conv = Conv::Time,
     .time = TimeKind::StartNtp},
    {.enterprise = 0, .id = 155, .name = "flowEndMicroseconds", .conv = Conv::Time, .time = TimeKind::EndNtp},
    {.enterprise = 0,
     .id = 156,
     .name = "flowStartNanoseconds",
     .conv = Conv::Time,
     .time = TimeKind::StartNtp},
    {.enterprise = 0, .id = 157, .name = "flowEndNanoseconds", .conv = Conv::Time, .time = TimeKind::EndNtp},
    {.enterprise = 0,
     .id = 158,
     .name = "flowStartDeltaMicroseconds",
     .conv = Conv::Time,
     .time = TimeKind::StartDeltaUs},
    {.enterprise = 0,
     .id = 159,
     .name = "flowEndDeltaMicroseconds",
     .conv = Conv::Time,
     .time = TimeKind::EndDeltaUs},
    {.enterprise = 0,
     .id = 22,
     .name = "flowStartSysUpTime",
     .conv = Conv::Time,
     .time = TimeKind::StartUptime},
    {.enterprise = 0, .id = 21, .name = "flowEndSysUpTime", .conv = Conv::Time, .time = TimeKind::EndUptime},
    {.enterprise = 0,
     .id = 350,
     .name = "virtualStationName",
     .conv = Conv::Text,
     .role = Role::Identity,
     .endpoint = &EndpointRecord::hostname},
};

// Cisco NVM's nvzFlow elements (enterprise 9), and where each id and encoding comes from:
//  [C] seen in a real AnyConnect NVM capture: github.com/obsrvbl-oss/ona,
//      src/scripts/tests/test_nvzflow_reader.py (templates 262, 266, 267, 268; domain 127),
//      and named in ElastiFlow's ipfix.yml (github.com/robcowart/elastiflow, PEN 9 section);
//      12361-12363 are also in Cisco's Secure Client admin guide (NVM chapter).
//  [G] 12364-12372: the fields exist (NetFlow Logic's AnyConnect module names AgentVersion and
//      FlowStart/EndMsec; Cisco Secure Workload: agent version since NVM 4.9), their ids are
//      not published; these are the ids later agents use as far as we know, to be checked
//      against a 5.x capture. Templates decide the layout: nothing depends on a position.
const Element kNvz[] = {
    // [C] 20 octets
    {.enterprise = kCisco,
     .id = 12332,
     .name = "nvzFlowUDID",
     .conv = Conv::Hex,
     .flow_text = &FlowRecord::udid,
     .endpoint = &EndpointRecord::udid,
     .iface = &InterfaceRecord::udid},
    // [C]
    {.enterprise = kCisco,
     .id = 12333,
     .name = "nvzFlowLoggedInUser",
     .conv = Conv::Text,
     .role = Role::Identity,
     .flow_text = &FlowRecord::claimed_user,
     .endpoint = &EndpointRecord::user},
    // [C]
    {.enterprise = kCisco,
     .id = 12334,
     .name = "nvzFlowOSName",
     .conv = Conv::Text,
     .role = Role::Identity,
     .flow_text = &FlowRecord::os_name,
     .endpoint = &EndpointRecord::os_name},
    // [C]
    {.enterprise = kCisco,
     .id = 12335,
     .name = "nvzFlowOSVersion",
     .conv = Conv::Text,
     .role = Role::Identity,
     .flow_text = &FlowRecord::os_version,
     .endpoint = &EndpointRecord::os_version},
    // [C]
    {.enterprise = kCisco,
     .id = 12336,
     .name = "nvzFlowSystemManufacturer",
     .conv = Conv::Text,
     .role = Role::Identity,
     .endpoint = &EndpointRecord::manufacturer},
    // [C]
    {.enterprise = kCisco,
     .id = 12337,
     .name = "nvzFlowSystemType",
     .conv = Conv::Text,
     .role = Role::Identity,
     .endpoint = &EndpointRecord::system_type},
    // [C]
    {.enterprise = kCisco,
     .id = 12338,
     .name = "nvzFlowProcessAccount",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::process_account},
    // [C]
    {.enterprise = kCisco,
     .id = 12339,
     .name = "nvzFlowParentProcessAccount",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::parent_account},
    // [C]
    {.enterprise = kCisco,
     .id = 12340,
     .name = "nvzFlowProcessName",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::process},
    // [C] SHA-256, 32 octets
    {.enterprise = kCisco,
     .id = 12341,
     .name = "nvzFlowProcessHash",
     .conv = Conv::Hex,
     .flow_text = &FlowRecord::process_hash},
    // [C]
    {.enterprise = kCisco,
     .id = 12342,
     .name = "nvzFlowParentProcessName",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::parent},
    // [C]
    {.enterprise = kCisco,
     .id = 12343,
     .name = "nvzFlowParentProcessHash",
     .conv = Conv::Hex,
     .flow_text = &FlowRecord::parent_hash},
    // [C]
    {.enterprise = kCisco,
     .id = 12344,
     .name = "nvzFlowDNSSuffix",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::dns_suffix},
    // [C]
    {.enterprise = kCisco,
     .id = 12345,
     .name = "nvzFlowDestinationHostname",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::dest_hostname},
    // [C] received by the endpoint
    {.enterprise = kCisco,
     .id = 12346,
     .name = "nvzFlowL4ByteCountIn",
     .conv = Conv::Uint,
     .flow_u64 = &FlowRecord::bytes_in},
    // [C] sent by the endpoint
    {.enterprise = kCisco,
     .id = 12347,
     .name = "nvzFlowL4ByteCountOut",
     .conv = Conv::Uint,
     .flow_u64 = &FlowRecord::bytes_out},
    // [C]
    {.enterprise = kCisco,
     .id = 12351,
     .name = "nvzFlowOSEdition",
     .conv = Conv::Text,
     .role = Role::Identity,
     .endpoint = &EndpointRecord::os_edition},
    // [C] basicList of 9/12348
    {.enterprise = kCisco,
     .id = 12352,
     .name = "nvzFlowModuleNameList",
     .conv = Conv::List,
     .flow_text = &FlowRecord::modules},
    // [C] basicList of 9/12350
    {.enterprise = kCisco,
     .id = 12353,
     .name = "nvzFlowModuleHashList",
     .conv = Conv::HexList,
     .flow_text = &FlowRecord::module_hashes},
    // name only (ElastiFlow)
    {.enterprise = kCisco, .id = 12354, .name = "nvzFlowCoordList", .conv = Conv::Hex},
    // [C] flow -> interface record
    {.enterprise = kCisco,
     .id = 12355,
     .name = "nvzFlowInterfaceInfoUID",
     .conv = Conv::Uint,
     .flow_u32 = &FlowRecord::interface_uid,
     .iface = &InterfaceRecord::interface_uid},
    // [C]
    {.enterprise = kCisco,
     .id = 12356,
     .name = "nvzFlowInterfaceIndex",
     .conv = Conv::Uint,
     .role = Role::Interface,
     .iface = &InterfaceRecord::index},
    // [C]
    {.enterprise = kCisco,
     .id = 12357,
     .name = "nvzFlowInterfaceType",
     .conv = Conv::Uint,
     .role = Role::Interface,
     .iface = &InterfaceRecord::type},
    // [C]
    {.enterprise = kCisco,
     .id = 12358,
     .name = "nvzFlowInterfaceName",
     .conv = Conv::Text,
     .role = Role::Interface,
     .iface = &InterfaceRecord::name},
    // [C]
    {.enterprise = kCisco,
     .id = 12359,
     .name = "nvzFlowInterfaceDetailsList",
     .conv = Conv::Text,
     .role = Role::Interface,
     .iface = &InterfaceRecord::details},
    // [C]
    {.enterprise = kCisco,
     .id = 12360,
     .name = "nvzFlowInterfaceMacaddr",
     .conv = Conv::Text,
     .role = Role::Interface,
     .iface = &InterfaceRecord::mac},
    // [C]
    {.enterprise = kCisco, .id = 12361, .name = "nvzFlowLoggedInUserAccountType", .conv = Conv::Uint},
    // [C]
    {.enterprise = kCisco, .id = 12362, .name = "nvzFlowProcessAccountType", .conv = Conv::Uint},
    // [C]
    {.enterprise = kCisco, .id = 12363, .name = "nvzFlowParentProcessAccountType", .conv = Conv::Uint},
    // [G]
    {.enterprise = kCisco,
     .id = 12364,
     .name = "nvzFlowAgentVersion",
     .conv = Conv::Text,
     .role = Role::Identity,
     .flow_text = &FlowRecord::agent_version,
     .endpoint = &EndpointRecord::agent_version},
    // [G]
    {.enterprise = kCisco,
     .id = 12365,
     .name = "nvzFlowProcessId",
     .conv = Conv::Uint,
     .flow_u32 = &FlowRecord::pid},
    // [G]
    {.enterprise = kCisco,
     .id = 12366,
     .name = "nvzFlowParentProcessId",
     .conv = Conv::Uint,
     .flow_u32 = &FlowRecord::parent_pid},
    // [G]
    {.enterprise = kCisco,
     .id = 12367,
     .name = "nvzFlowProcessPath",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::process_path},
    // [G]
    {.enterprise = kCisco,
     .id = 12368,
     .name = "nvzFlowParentProcessPath",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::parent_path},
    // [G]
    {.enterprise = kCisco,
     .id = 12369,
     .name = "nvzFlowProcessArgs",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::process_args},
    // [G]
    {.enterprise = kCisco,
     .id = 12370,
     .name = "nvzFlowParentProcessArgs",
     .conv = Conv::Text,
     .flow_text = &FlowRecord::parent_args},
    // [G]
    {.enterprise = kCisco,
     .id = 12371,
     .name = "nvzFlowFlowStartMsec",
     .conv = Conv::Time,
     .time = TimeKind::StartMs},
    // [G]
    {.enterprise = kCisco,
     .id = 12372,
     .name = "nvzFlowFlowEndMsec",
     .conv = Conv::Time,
     .time = TimeKind::EndMs},
};

}  // namespace

namespace {

// Every element by its id, built once: a record's fields are looked up without a search.
constexpr uint16_t kNvzFirst = 12332, kNvzLast = 12400;
struct Index {
  std::array<const Element*, 1024> iana{};
  std::array<const Element*, kNvzLast - kNvzFirst> nvz{};
  Index() {
    for (const Element& e : kIana)
      if (e.id < iana.size()) iana[e.id] = &e;
    for (const Element& e : kNvz)
      if (e.id >= kNvzFirst && e.id < kNvzLast) nvz[e.id - kNvzFirst] = &e;
  }
};

const Index& index() {
  static const Index idx;  // immutable once built (thread-safe initialisation)
  return idx;
}

}  // namespace

const Element* find_element(uint32_t enterprise, uint16_t id) {
  const Index& idx = index();
  if (enterprise == 0) return id < idx.iana.size() ? idx.iana[id] : nullptr;
  if (enterprise == kCisco && id >= kNvzFirst && id < kNvzLast) return idx.nvz[id - kNvzFirst];
  return nullptr;
}

}  // namespace sslvpn::nvm
