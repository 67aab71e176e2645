// sslvpnd-ovpn-key import: an openvpn server configuration read and turned into an
// sslvpnd.conf (both pure functions of the bytes; the file is an admin's, but an imported one
// may come from anywhere).
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/ovpn-key/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  sslvpn::ovpnkey::ImportArgs args{"fuzz.conf", "/etc/openvpn/server", "/tmp/fuzz-sslvpnd.conf"};
  std::string error;
  auto r = sslvpn::ovpnkey::import_openvpn_server({reinterpret_cast<const char*>(d), n}, args, &error);
  if (!r.ok() && error.empty()) __builtin_trap();  // every refusal says why
  return 0;
}
