#include "worker/tls_sni.hpp"

#include "common/byte_reader.hpp"

namespace sslvpn::worker {
namespace {

constexpr uint16_t kExtServerName = 0;
constexpr uint8_t kHostName = 0;

bool skip_vector(ByteReader& r, int n) {
  std::optional<uint32_t> len;
  if (n == 1) {
    if (auto v = r.u8()) len = *v;
  } else if (auto v = r.be16()) {
    len = *v;
  }
  return len && r.skip(*len);
}

}  // namespace

std::optional<std::string> client_hello_server_name(std::span<const uint8_t> body) {
  ByteReader r(body);
  // legacy_version, random, session id, cipher suites, compression methods
  if (!r.skip(2 + 32) || !skip_vector(r, 1) || !skip_vector(r, 2) || !skip_vector(r, 1)) return std::nullopt;
  auto ext_len = r.be16();
  if (!ext_len) return std::nullopt;
  auto exts = r.take(*ext_len);
  if (!exts) return std::nullopt;
  ByteReader e(*exts);
  while (!e.empty()) {
    auto type = e.be16();
    auto len = e.be16();
    if (!type || !len) return std::nullopt;
    auto data = e.take(*len);
    if (!data) return std::nullopt;
    if (*type != kExtServerName) continue;
    ByteReader s(*data);
    auto list_len = s.be16();
    auto list = list_len ? s.take(*list_len) : std::nullopt;
    if (!list) return std::nullopt;
    ByteReader l(*list);
    while (!l.empty()) {
      auto name_type = l.u8();
      auto name_len = l.be16();
      auto name = name_len ? l.take(*name_len) : std::nullopt;
      if (!name_type || !name) return std::nullopt;
      if (*name_type != kHostName) continue;
      if (name->empty() || name->size() > kMaxServerName) return std::nullopt;
      std::string out(reinterpret_cast<const char*>(name->data()), name->size());
      if (out.back() == '.') out.pop_back();  // an absolute name
      return out;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace sslvpn::worker
