// What main reads of a new TCP connection before admitting it (main/admission.hpp): does its
// TLS ClientHello try to resume a session (a TLS 1.3 pre_shared_key extension, or a TLS 1.2
// session ticket)? Such a client comes back with a ticket of ours, usually to open its tunnel
// after logging in (Cisco Secure Client) or to reconnect: it goes ahead of new logins. Spoofing
// the extension only moves a connection into that lane, which has its own share of the slots;
// its handshake falls back to a full one. A pure function of the bytes peeked (MSG_PEEK).
#pragma once

#include <cstdint>
#include <span>

namespace sslvpn::mainproc {

enum class HelloKind : uint8_t {
  Unknown,     // not (yet) a whole ClientHello up to its extensions, or not TLS
  Fresh,       // a ClientHello that resumes nothing
  Resumption,  // a ClientHello that offers a session ticket
};

HelloKind classify_client_hello(std::span<const uint8_t> bytes) noexcept;

}  // namespace sslvpn::mainproc
