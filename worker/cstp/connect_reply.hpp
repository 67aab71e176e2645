// The answer to CONNECT /CSCOSSLC/tunnel (protocols.md A3): "HTTP/1.1 200 CONNECTED" and the
// X-CSTP-* headers the clients read. No body: CSTP frames follow the blank line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ipc.pb.h"

namespace sslvpn::cstp {

std::string build_connect_reply(const ipc::TunnelParams& p, std::string_view server_name);

// The value of cookie `name` in a Cookie header ("a=1; webvpn=XYZ; b=2"), if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace sslvpn::cstp
