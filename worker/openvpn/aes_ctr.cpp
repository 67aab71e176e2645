#include "worker/openvpn/aes_ctr.hpp"

#include <nettle/aes.h>
#include <nettle/ctr.h>

#include <cstring>

#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

void aes256_ctr(std::string_view key, const uint8_t* iv, const uint8_t* in, size_t n, uint8_t* out) {
  aes256_ctx ctx;
  aes256_set_encrypt_key(&ctx, reinterpret_cast<const uint8_t*>(key.data()));
  uint8_t counter[AES_BLOCK_SIZE];
  std::memcpy(counter, iv, sizeof counter);
  ctr_crypt(&ctx, reinterpret_cast<nettle_cipher_func*>(aes256_encrypt), AES_BLOCK_SIZE, counter, n, out, in);
  secure_wipe(&ctx, sizeof ctx);
}

}  // namespace sslvpn::ovpn
