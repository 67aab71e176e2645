#include "common/dtls_records.hpp"

#include <cstring>

namespace sslvpn {

size_t dtls_record_size(std::span<const uint8_t> d) noexcept {
  if (d.size() < kDtlsRecordHeader) return 0;
  size_t body = (static_cast<size_t>(d[11]) << 8) | d[12];
  return body <= d.size() - kDtlsRecordHeader ? kDtlsRecordHeader + body : 0;
}

bool DtlsRecordQueue::fill(std::span<const uint8_t> datagram) {
  size_t whole = 0;
  for (size_t n; (n = dtls_record_size(datagram.subspan(whole))) != 0;) whole += n;
  held_.assign(reinterpret_cast<const char*>(datagram.data()), whole);
  at_ = 0;
  return whole != 0;
}

size_t DtlsRecordQueue::take(std::span<uint8_t> out) {
  if (empty()) return 0;
  std::span<const uint8_t> rest(reinterpret_cast<const uint8_t*>(held_.data()) + at_, held_.size() - at_);
  size_t n = dtls_record_size(rest);  // never 0: fill() kept whole records only
  at_ += n;
  bool fits = n <= out.size();
  if (fits) std::memcpy(out.data(), rest.data(), n);
  if (empty()) clear();
  return fits ? n : 0;
}

void DtlsRecordQueue::clear() noexcept {
  held_.clear();
  at_ = 0;
}

}  // namespace sslvpn
