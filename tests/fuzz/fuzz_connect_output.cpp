#include <cstdint>
#include <string>
#include <string_view>

#include "main/connect_output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::string error;
  auto r = sslvpn::mainproc::parse_connect_output({reinterpret_cast<const char*>(d), n}, &error);
  if (r.ok()) {
    sslvpn::ipc::UserSettings base;
    base.add_routes("10.0.0.0/8");
    auto vpn = sslvpn::parse_ip_net("10.8.0.0/24").value();
    sslvpn::Config cfg;
    cfg.route_default = true;
    (void)sslvpn::mainproc::apply_connect_output(base, cfg, {vpn}, *r);
  }
  return 0;
}
