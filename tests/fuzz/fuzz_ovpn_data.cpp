// A worker decrypts every data packet its client's address sends: the parser in front of the
// AEAD must never read out of bounds, and forged packets must not open.
#include <cstdint>
#include <vector>

#include "worker/openvpn/data_channel.hpp"

using namespace sslvpn::ovpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  static const std::vector<uint8_t> km(kKeyMaterial, 0x11);
  auto ch = DataChannel::create(n > 0 && d[0] & 1 ? DataCipher::ChaCha20Poly1305 : DataCipher::Aes256Gcm, km,
                                0, true, 1);
  if (!ch.ok()) __builtin_trap();
  std::vector<uint8_t> pkt(d, d + n);
  auto r = ch->open(pkt);
  if (r.ok() && r->size() + kDataV1Header > n) __builtin_trap();
  return 0;
}
