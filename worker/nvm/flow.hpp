// From a decoded IPFIX data record to named values: a flow (standard elements and Cisco NVM's
// nvzFlow elements), an NVM endpoint identity record, or an NVM interface record. Pure.
//
// nvzFlow's elements are Cisco's (private enterprise number 9), ids from 12332 up; the table
// in flow.cpp cites where each id comes from. Elements neither table knows are kept in
// `extra` as JSON ("ENTERPRISE/ID": value), not dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/ip_addr.hpp"
#include "worker/nvm/ipfix.hpp"

namespace sslvpn::nvm {

// What the collector stores per flow: the record's own values, then what sslvpnd adds.
struct FlowRecord {
  int64_t start_ms = 0, end_ms = 0;  // Unix time in milliseconds
  std::string exporter;              // the address the message came from
  uint32_t domain = 0;
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
  uint64_t packets = 0, bytes = 0;       // standard delta (or total) counters, as exported
  uint64_t bytes_in = 0, bytes_out = 0;  // nvzFlow's layer-4 byte counts
  uint8_t direction = 0;                 // flowDirection (61): 0 ingress, 1 egress
  // nvzFlow: what the endpoint says about itself and the process behind the flow.
  std::string udid, claimed_user, os_name, os_version, agent_version;
  std::string process, process_hash, process_path, process_args, process_account;
  std::string parent, parent_hash, parent_path, parent_args, parent_account;
  uint32_t pid = 0, parent_pid = 0;
  std::string dest_hostname, dns_suffix, modules, module_hashes;  // lists joined with '|'
  uint32_t interface_uid = 0;  // nvzFlow: which of the endpoint's interfaces (its interface record)
  std::string interface;       // that interface's name, when its record came first
  std::string extra;           // unknown elements as a JSON object, or empty
  std::string gateway;         // the gateway that collected it (a store several gateways share), or empty
  // Attribution (filled by the collector from the VPN sessions).
  std::string vpn_user, vpn_group, vpn_session, attributed_by;
};

// NVM's endpoint identity record (one per endpoint, re-sent when it changes).
struct EndpointRecord {
  std::string exporter;
  std::string udid, hostname, user, os_name, os_version, os_edition, agent_version, manufacturer;
  std::string system_type, extra;
};

// NVM's interface record: one network interface of the endpoint.
struct InterfaceRecord {
  std::string exporter;
  std::string udid, interface_uid, index, type, name, details, mac, extra;
};

using MappedRecord = std::variant<FlowRecord, EndpointRecord, InterfaceRecord>;

struct MapOptions {
  size_t max_string = 4096;       // longer strings are cut there (and counted)
  size_t max_list_entries = 256;  // basicList entries joined into one value
};

// Maps one data record. `exporter_ip` is the message's source address (no port). A record
// with neither flow keys nor NVM identity elements is a flow without addresses: kept, so that
// nothing decoded is lost. `sys_init_ms` is the exporter's systemInitTimeMilliseconds from an
// options record (-1: not known), for uptime-relative flow times (softflowd's).
// `*truncated` counts strings cut to max_string.
MappedRecord map_record(const RecordView& r, const std::string& exporter_ip, const MapOptions& opt,
                        int64_t sys_init_ms, uint64_t* truncated);

// systemInitTimeMilliseconds (160) of an options record, if it has one.
std::optional<int64_t> system_init_ms(const RecordView& options_record);

// The textual form of an element value for `extra`: printable ASCII stays text, anything else
// becomes hex.
std::string value_text(std::span<const uint8_t> v);
// `v` as valid UTF-8 without control characters (bad sequences become U+FFFD, controls '?').
std::string clean_utf8(std::span<const uint8_t> v);

}  // namespace sslvpn::nvm
