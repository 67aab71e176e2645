// IPFIX (RFC 7011) decoding: the message header, sets, template and options template records,
// and data records decoded against the templates an exporter sent before. I/O-free: bytes in,
// records out through a callback. The template cache is the only state; it is bounded by
// IpfixLimits, and everything refused is counted (IpfixCounters), never silently dropped.
//
// Covered: template withdrawal (RFC 7011 8.1), variable-length fields (7), reduced-size
// encoding (6.2: unsigned values of any width up to 8 octets), enterprise-specific elements
// (3.2), options templates (3.4.2.2), and RFC 6313's basicList (decoded on demand by
// basic_list()). Unknown elements are handed on raw with their ids, like known ones.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::nvm {

inline constexpr uint16_t kIpfixVersion = 10;
inline constexpr uint16_t kVarLen = 65535;  // a template field of variable length

struct FieldSpec {
  uint16_t id = 0;          // without the enterprise bit
  uint16_t length = 0;      // kVarLen: variable
  uint32_t enterprise = 0;  // 0: IANA
};

struct Template {
  uint16_t id = 0;
  uint16_t scope_count = 0;  // options templates: the first scope_count fields are scope
  bool options = false;
  std::vector<FieldSpec> fields;
  size_t min_record = 0;  // octets a record takes at least (variable fields count 1)
  double learned_at = 0;
};

// One field of a decoded data record: its element and its raw value (length already resolved).
struct Field {
  uint16_t id = 0;
  uint32_t enterprise = 0;
  std::span<const uint8_t> value;
};

struct MessageHeader {
  uint16_t length = 0;
  uint32_t export_time = 0;  // seconds since the epoch
  uint32_t sequence = 0;     // data records sent before this message (RFC 7011 3.1)
  uint32_t domain = 0;       // observation domain id
};

// Parses the 16-octet header and checks that the message holds exactly `length` octets.
Result<MessageHeader> parse_header(std::span<const uint8_t> msg);

struct IpfixLimits {
  size_t max_exporters = 4096;  // transport sessions remembered (oldest forgotten first)
  size_t max_domains_per_exporter = 16;
  size_t max_templates_per_domain = 128;
  size_t max_fields_per_template = 128;
  double template_lifetime = 90000;  // s; NVM refreshes its templates once a day
};

struct IpfixCounters {
  uint64_t messages = 0;
  uint64_t malformed_messages = 0;  // bad header, bad set lengths, truncated
  uint64_t templates_learned = 0;
  uint64_t templates_withdrawn = 0;
  uint64_t templates_expired = 0;
  uint64_t templates_refused = 0;  // over a limit, or malformed
  uint64_t records = 0;            // data records decoded
  uint64_t options_records = 0;
  uint64_t sets_without_template = 0;  // data sets whose template is unknown (not countable)
  uint64_t malformed_records = 0;
  uint64_t sequence_lost = 0;        // records the sequence numbers say never arrived
  uint64_t sequence_disorder = 0;    // messages out of order, or an exporter restart
  uint64_t exporters_forgotten = 0;  // over max_exporters
};

// What a record callback is told.
struct RecordView {
  const std::string& exporter;  // "address|port" of the transport session
  uint32_t domain = 0;
  uint32_t export_time = 0;
  const Template& tmpl;
  std::span<const Field> fields;
};

// Per (exporter, observation domain): templates and the sequence baseline.
struct DomainState {
  std::map<uint16_t, Template> templates;
  bool have_sequence = false;
  uint32_t last_sequence = 0;
  uint32_t last_records = 0;  // data records in the last message
  bool last_complete = true;  // every data set of the last message was decoded
  // Some exporters (softflowd) count the records of the current message too. Learned from the
  // first pair of messages that tells the two readings apart.
  enum class SeqMode : uint8_t { Unknown, Rfc, Inclusive } mode = SeqMode::Unknown;
  uint64_t records = 0;
  uint64_t lost = 0;
};

struct ExporterState {
  std::unordered_map<uint32_t, DomainState> domains;
  double first_seen = 0, last_seen = 0;
  uint64_t messages = 0;
};

class IpfixDecoder {
 public:
  using OnRecord = std::function<void(const RecordView&)>;
  explicit IpfixDecoder(IpfixLimits limits = {}) : limits_(limits) {}

  // Decodes one message from `exporter` (any stable key: "address|port"). Data records go to
  // `on_record` in order; options records to `on_options` (may be empty). The error is the
  // reason a malformed message was refused; what was decoded before the fault stays delivered.
  Result<MessageHeader> decode(std::span<const uint8_t> msg, const std::string& exporter, double now,
                               const OnRecord& on_record, const OnRecord& on_options = {});

  const IpfixCounters& counters() const noexcept { return c_; }
  const std::unordered_map<std::string, ExporterState>& exporters() const noexcept { return exporters_; }
  // Templates past their lifetime are forgotten (call now and then).
  void expire(double now);

 private:
  ExporterState* exporter_state(const std::string& key, double now);
  Result<void> template_set(std::span<const uint8_t> body, bool options, DomainState& d, double now);
  Result<void> data_set(uint16_t set_id, std::span<const uint8_t> body, const std::string& exporter,
                        const MessageHeader& h, DomainState& d, uint32_t* records, const OnRecord& on_record,
                        const OnRecord& on_options);
  void account_sequence(DomainState& d, const MessageHeader& h, uint32_t records, bool complete);

  IpfixLimits limits_;
  IpfixCounters c_;
  std::unordered_map<std::string, ExporterState> exporters_;
  std::vector<Field> scratch_;
};

// Unsigned integer of 1..8 octets, big-endian (reduced-size encoding); nullopt otherwise.
std::optional<uint64_t> as_unsigned(std::span<const uint8_t> v);

// RFC 6313 basicList: the element the list holds and its entries.
struct BasicList {
  uint8_t semantic = 0;
  FieldSpec element;
  std::vector<std::span<const uint8_t>> entries;
};
Result<BasicList> basic_list(std::span<const uint8_t> v, size_t max_entries);

}  // namespace sslvpn::nvm
