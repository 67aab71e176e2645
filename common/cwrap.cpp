#include "common/cwrap.hpp"

#include <dlfcn.h>

#include <string_view>

extern char** environ;

namespace sslvpn {
namespace {

using EnabledFn = bool (*)();

EnabledFn enabled_fn() {
  return reinterpret_cast<EnabledFn>(::dlsym(RTLD_DEFAULT, "socket_wrapper_enabled"));
}

}  // namespace

bool under_socket_wrapper() {
  EnabledFn f = enabled_fn();
  return f != nullptr && f();
}

std::vector<std::string> cwrap_environment() {
  std::vector<std::string> out;
  if (!under_socket_wrapper()) return out;
  static constexpr std::string_view kPrefixes[] = {"LD_PRELOAD=",  "SOCKET_WRAPPER_", "UID_WRAPPER",
                                                   "NSS_WRAPPER_", "PAM_WRAPPER",     "RESOLV_WRAPPER_"};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v(*e);
    for (auto p : kPrefixes)
      if (v.substr(0, p.size()) == p) {
        out.emplace_back(v);
        break;
      }
  }
  return out;
}

void prime_socket_wrapper() {
  if (EnabledFn f = enabled_fn()) (void)f();
}

}  // namespace sslvpn
