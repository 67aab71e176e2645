#include "worker/nvm/ipfix.hpp"

#include "common/byte_reader.hpp"

namespace sslvpn::nvm {
namespace {

constexpr uint16_t kTemplateSet = 2;
constexpr uint16_t kOptionsTemplateSet = 3;
constexpr uint16_t kMinDataSet = 256;
constexpr size_t kHeaderLen = 16;
constexpr size_t kSetHeaderLen = 4;
constexpr uint16_t kEnterpriseBit = 0x8000;

// One field specifier (RFC 7011 3.2): id with the enterprise bit, length, enterprise number.
std::optional<FieldSpec> read_field_spec(ByteReader& r) {
  auto id = r.be16();
  auto len = r.be16();
  if (!id || !len) return std::nullopt;
  FieldSpec f{static_cast<uint16_t>(*id & ~kEnterpriseBit), *len, 0};
  if (*id & kEnterpriseBit) {
    auto pen = r.be32();
    if (!pen) return std::nullopt;
    f.enterprise = *pen;
  }
  return f;
}

// A variable-length field's value (RFC 7011 7): one length octet, or 255 and two more.
std::optional<std::span<const uint8_t>> read_varlen(ByteReader& r) {
  auto l = r.u8();
  if (!l) return std::nullopt;
  size_t n = *l;
  if (n == 255) {
    auto l2 = r.be16();
    if (!l2) return std::nullopt;
    n = *l2;
  }
  return r.take(n);
}

}  // namespace

Result<MessageHeader> parse_header(std::span<const uint8_t> msg) {
  ByteReader r(msg);
  auto version = r.be16();
  auto length = r.be16();
  auto when = r.be32();
  auto seq = r.be32();
  auto domain = r.be32();
  if (!domain) return Errc::Truncated;
  if (*version != kIpfixVersion) return Errc::UnknownType;
  if (*length < kHeaderLen || *length != msg.size()) return Errc::BadLength;
  return MessageHeader{*length, *when, *seq, *domain};
}

std::optional<uint64_t> as_unsigned(std::span<const uint8_t> v) {
  if (v.empty() || v.size() > 8) return std::nullopt;
  uint64_t x = 0;
  for (uint8_t b : v) x = x << 8 | b;
  return x;
}

Result<BasicList> basic_list(std::span<const uint8_t> v, size_t max_entries) {
  ByteReader r(v);
  BasicList out;
  auto semantic = r.u8();
  if (!semantic) return Errc::Truncated;
  out.semantic = *semantic;
  auto spec = read_field_spec(r);
  if (!spec) return Errc::Truncated;
  out.element = *spec;
  while (!r.empty()) {
    if (out.entries.size() >= max_entries) return Errc::Limit;
    auto e = spec->length == kVarLen ? read_varlen(r) : r.take(spec->length);
    if (!e) return Errc::Truncated;
    out.entries.push_back(*e);
    if (spec->length == 0) return Errc::Malformed;  // zero-width entries would never end
  }
  return out;
}

ExporterState* IpfixDecoder::exporter_state(const std::string& key, double now) {
  auto it = exporters_.find(key);
  if (it == exporters_.end()) {
    if (exporters_.size() >= limits_.max_exporters) {
      // Forget the one silent longest: a flood of new source ports cannot grow the table.
      auto oldest = exporters_.begin();
      for (auto e = exporters_.begin(); e != exporters_.end(); ++e)
        if (e->second.last_seen < oldest->second.last_seen) oldest = e;
      exporters_.erase(oldest);
      ++c_.exporters_forgotten;
    }
    it = exporters_.emplace(key, ExporterState{}).first;
    it->second.first_seen = now;
  }
  it->second.last_seen = now;
  ++it->second.messages;
  return &it->second;
}

Result<MessageHeader> IpfixDecoder::decode(std::span<const uint8_t> msg, const std::string& exporter,
                                           double now, const OnRecord& on_record,
                                           const OnRecord& on_options) {
  ++c_.messages;
  auto h = parse_header(msg);
  if (!h) {
    ++c_.malformed_messages;
    return h.error();
  }
  ExporterState* ex = exporter_state(exporter, now);
  auto dom = ex->domains.find(h->domain);
  if (dom == ex->domains.end()) {
    if (ex->domains.size() >= limits_.max_domains_per_exporter) {
      ++c_.malformed_messages;
      return Errc::Limit;
    }
    dom = ex->domains.emplace(h->domain, DomainState{}).first;
  }
  DomainState& d = dom->second;
  ByteReader r(msg.subspan(kHeaderLen));
  uint32_t records = 0;
  bool complete = true;
  while (!r.empty()) {
    auto set_id = r.be16();
    auto set_len = r.be16();
    if (!set_len || *set_len < kSetHeaderLen) {
      ++c_.malformed_messages;
      return Errc::BadLength;
    }
    auto body = r.take(*set_len - kSetHeaderLen);
    if (!body) {
      ++c_.malformed_messages;
      return Errc::Truncated;
    }
    if (*set_id == kTemplateSet || *set_id == kOptionsTemplateSet) {
      if (auto t = template_set(*body, *set_id == kOptionsTemplateSet, d, now); !t) {
        ++c_.templates_refused;
        complete = false;  // what followed the fault in this set is unknown
      }
    } else if (*set_id >= kMinDataSet) {
      if (auto s = data_set(*set_id, *body, exporter, *h, d, &records, on_record, on_options); !s)
        complete = false;
    } else {
      complete = false;  // sets 0, 1 and 4..255 are reserved (RFC 7011 3.3.2): skipped
    }
  }
  account_sequence(d, *h, records, complete);
  return *h;
}

Result<void> IpfixDecoder::template_set(std::span<const uint8_t> body, bool options, DomainState& d,
                                        double now) {
  ByteReader r(body);
  // Records until what is left can only be padding (shorter than a record header).
  while (r.remaining() >= 4) {
    auto tid = r.be16();
    auto count = r.be16();
    if (*count == 0) {
      // Withdrawal (RFC 7011 8.1): one template, or all of this kind when the id is the set's.
      if (*tid == (options ? kOptionsTemplateSet : kTemplateSet)) {
        for (auto it = d.templates.begin(); it != d.templates.end();) {
          if (it->second.options == options) {
            it = d.templates.erase(it);
            ++c_.templates_withdrawn;
          } else {
            ++it;
          }
        }
      } else if (d.templates.erase(*tid)) {
        ++c_.templates_withdrawn;
      }
      continue;
    }
    if (*tid < kMinDataSet) return Errc::Malformed;
    Template t;
    t.id = *tid;
    t.options = options;
    t.learned_at = now;
    if (options) {
      auto scope = r.be16();
      if (!scope || *scope == 0 || *scope > *count) return Errc::Malformed;
      t.scope_count = *scope;
    }
    if (*count > limits_.max_fields_per_template) return Errc::Limit;
    t.fields.reserve(*count);
    for (uint16_t i = 0; i < *count; ++i) {
      auto f = read_field_spec(r);
      if (!f) return Errc::Truncated;
      t.min_record += f->length == kVarLen ? 1 : f->length;
      t.fields.push_back(*f);
    }
    if (t.min_record == 0) return Errc::Malformed;  // records of no octets would never end
    bool known = d.templates.count(t.id) > 0;
    if (!known && d.templates.size() >= limits_.max_templates_per_domain) return Errc::Limit;
    d.templates[t.id] = std::move(t);
    ++c_.templates_learned;
  }
  return {};
}

Result<void> IpfixDecoder::data_set(uint16_t set_id, std::span<const uint8_t> body,
                                    const std::string& exporter, const MessageHeader& h, DomainState& d,
                                    uint32_t* records, const OnRecord& on_record,
                                    const OnRecord& on_options) {
  auto it = d.templates.find(set_id);
  if (it == d.templates.end()) {
    ++c_.sets_without_template;  // its records cannot even be counted without the template
    return Errc::NotFound;
  }
  const Template& t = it->second;
  ByteReader r(body);
  while (r.remaining() >= t.min_record) {
    scratch_.clear();
    for (const FieldSpec& f : t.fields) {
      auto v = f.length == kVarLen ? read_varlen(r) : r.take(f.length);
      if (!v) {
        ++c_.malformed_records;
        return Errc::Truncated;
      }
      scratch_.push_back(Field{f.id, f.enterprise, *v});
    }
    ++*records;
    ++d.records;
    RecordView view{exporter, h.domain, h.export_time, t, scratch_};
    if (t.options) {
      ++c_.options_records;
      if (on_options) on_options(view);
    } else {
      ++c_.records;
      if (on_record) on_record(view);
    }
  }
  return {};
}

void IpfixDecoder::account_sequence(DomainState& d, const MessageHeader& h, uint32_t records, bool complete) {
  using Mode = DomainState::SeqMode;
  if (d.have_sequence && d.last_complete && complete) {
    uint32_t delta = h.sequence - d.last_sequence;  // modulo 2^32 (RFC 7011 3.1)
    uint32_t rfc = d.last_records, inclusive = records;
    if (d.mode == Mode::Unknown && rfc != inclusive) {
      if (delta == rfc) d.mode = Mode::Rfc;
      if (delta == inclusive) d.mode = Mode::Inclusive;
    }
    uint32_t expected = d.mode == Mode::Inclusive ? inclusive : rfc;
    if (delta != expected && !(d.mode == Mode::Unknown && delta == inclusive)) {
      if (delta > expected && delta - expected < (1u << 31)) {
        d.lost += delta - expected;
        c_.sequence_lost += delta - expected;
      } else {
        ++c_.sequence_disorder;
      }
    }
  }
  d.have_sequence = true;
  d.last_sequence = h.sequence;
  d.last_records = records;
  d.last_complete = complete;
}

void IpfixDecoder::expire(double now) {
  for (auto& [key, ex] : exporters_)
    for (auto& [id, d] : ex.domains)
      for (auto it = d.templates.begin(); it != d.templates.end();) {
        if (now - it->second.learned_at > limits_.template_lifetime) {
          it = d.templates.erase(it);
          ++c_.templates_expired;
        } else {
          ++it;
        }
      }
}

}  // namespace sslvpn::nvm
