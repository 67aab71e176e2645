// openvpn-management: any bytes a management client sends, line by line, through a session
// with a password and one without (main/openvpn_mgmt.hpp is a pure function of the lines).
#include <cstdint>
#include <string>
#include <string_view>

#include "main/openvpn_mgmt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  using namespace sslvpn::mainproc;
  ManagementBackend b;
  b.status = [](int v) { return std::string(v == 2 ? "a\nb\n" : "c\n"); };
  b.load_stats = [] { return std::string("nclients=0,bytesin=0,bytesout=0"); };
  b.state = [] { return std::string("0,CONNECTED,SUCCESS,,,,,\n"); };
  b.kill_cn = [](const std::string&) { return 1u; };
  b.kill_addr = [](const std::string&, uint16_t, bool) { return 0u; };
  b.kill_cid = [](uint64_t, bool) { return true; };
  std::string_view in(reinterpret_cast<const char*>(d), n);
  for (const char* pw : {"", "pw"}) {
    ManagementSession s(b, pw);
    std::string out = s.greeting();
    size_t at = 0;
    while (at <= in.size() && !s.closing()) {
      size_t nl = in.find('\n', at);
      std::string_view line = in.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
      if (line.size() > kMaxManagementLine) break;
      out = s.line(line);
      // Every answer is whole lines (or a password prompt): no bare line break.
      for (size_t i = 0; i < out.size(); ++i)
        if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) __builtin_trap();
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
  }
  return 0;
}
