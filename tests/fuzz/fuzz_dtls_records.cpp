// The DTLS record framing the worker applies before GnuTLS (common/dtls_records.hpp):
// any datagram. Every record handed out must be whole (its header's length matches), they
// must come in order from the datagram's start, and never add up to more than it held.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/dtls_records.hpp"

using namespace sslvpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::span<const uint8_t> in(d, n);
  DtlsRecordQueue q;
  bool any = q.fill(in);
  if (any != (dtls_record_size(in) != 0)) std::abort();
  std::vector<uint8_t> out(1 + (n > 0 ? d[0] % 64 : 0) * 256);  // sometimes too small
  size_t at = 0;
  for (int i = 0; i < 100000 && !q.empty(); ++i) {
    size_t expect = dtls_record_size(in.subspan(at));
    if (expect == 0) std::abort();  // the queue held something that does not frame
    size_t got = q.take(out);
    if (got != 0 && (got != expect || std::memcmp(out.data(), d + at, got) != 0)) std::abort();
    at += expect;
    if (at > n) std::abort();
  }
  if (!q.empty()) std::abort();
  return 0;
}
