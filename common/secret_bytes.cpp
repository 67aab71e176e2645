#include "common/secret_bytes.hpp"

#include <string.h>

namespace sslvpn {

void secure_wipe(void* p, size_t n) noexcept {
  if (p != nullptr && n > 0) ::explicit_bzero(p, n);
}

}  // namespace sslvpn
