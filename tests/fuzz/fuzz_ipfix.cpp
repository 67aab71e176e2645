// The NVM collector's decoder takes datagrams from anyone on its port: a stream of IPFIX
// messages (each input is several, each prefixed with a 2-byte length) must decode, map and
// fill the template cache without a crash, a leak or a limit broken.
#include <cstdint>
#include <span>

#include "worker/nvm/flow.hpp"
#include "worker/nvm/ipfix.hpp"

using namespace sslvpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  nvm::IpfixLimits limits;
  limits.max_exporters = 4;
  limits.max_domains_per_exporter = 3;
  limits.max_templates_per_domain = 8;
  limits.max_fields_per_template = 40;
  nvm::IpfixDecoder dec(limits);
  nvm::MapOptions opt;
  opt.max_string = 64;
  opt.max_list_entries = 8;
  uint64_t truncated = 0;
  size_t records = 0;
  std::span<const uint8_t> in(d, n);
  double now = 1000;
  while (in.size() >= 3) {
    size_t len = static_cast<size_t>(in[0]) << 8 | in[1];
    uint8_t exporter = in[2] & 7;  // a few transport sessions
    in = in.subspan(3);
    if (len > in.size()) len = in.size();
    auto msg = in.first(len);
    in = in.subspan(len);
    auto on_record = [&](const nvm::RecordView& r) {
      ++records;
      size_t bytes = 0;
      for (const auto& f : r.fields) bytes += f.value.size();
      if (bytes > msg.size()) __builtin_trap();  // values lie inside the message
      nvm::MappedRecord m = nvm::map_record(r, "192.0.2.1", opt, -1, &truncated);
      if (auto* fl = std::get_if<nvm::FlowRecord>(&m))
        if (fl->process.size() > opt.max_string || fl->modules.size() > opt.max_string) __builtin_trap();
    };
    auto on_options = [&](const nvm::RecordView& r) { (void)nvm::system_init_ms(r); };
    (void)dec.decode(msg, "x" + std::to_string(exporter), now, on_record, on_options);
    now += 10000;
    dec.expire(now);
  }
  if (dec.exporters().size() > limits.max_exporters) __builtin_trap();
  for (const auto& [k, ex] : dec.exporters()) {
    if (ex.domains.size() > limits.max_domains_per_exporter) __builtin_trap();
    for (const auto& [id, dom] : ex.domains)
      if (dom.templates.size() > limits.max_templates_per_domain) __builtin_trap();
  }
  if (dec.counters().records != records) __builtin_trap();  // every data record was handed on
  return 0;
}
