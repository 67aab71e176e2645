// The server name (SNI, RFC 6066 section 3) of a TLS ClientHello, read from the handshake
// message's body before GnuTLS parses it: the worker picks the [vhost:NAME] from it, and with
// it the priorities (so the version too), credentials and ticket key of that host. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sslvpn::worker {

// Longest name taken (a DNS name is at most 253 characters); a longer one is no name.
inline constexpr size_t kMaxServerName = 255;

// `body`: the ClientHello after its 4-byte handshake header (legacy_version first). The first
// host_name entry of server_name, without a trailing dot; nullopt when there is none or the
// message is malformed.
std::optional<std::string> client_hello_server_name(std::span<const uint8_t> body);

}  // namespace sslvpn::worker
