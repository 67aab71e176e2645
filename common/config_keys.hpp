// The list of configuration keys ocserv knows, used to tell "not implemented yet" (a warning)
// from "unknown" (an error).
#pragma once

#include <string_view>

namespace sslvpn {

bool is_ocserv_key(std::string_view key) noexcept;

}  // namespace sslvpn
