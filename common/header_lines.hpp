// Header lines an admin adds to the server's HTTP answers (ocserv's included-http-headers) and
// to the AnyConnect CONNECT answer (custom-header): what such a line may be, and the %{U} /
// %{G} placeholders ocserv fills in. Pure functions, unit-tested.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sslvpn {

enum class HeaderUse {
  Answer,         // every HTTP answer of the front
  ConnectAnswer,  // the CONNECT answer that starts a tunnel
};

// Why `line` cannot be such a header, or nullopt. One "Name: value" line: a token name, a value
// without control characters (tab allowed), 1024 bytes at most. Names that frame or mean
// something in the code's own answers (Content-Length, Connection, Set-Cookie...) are refused;
// for the CONNECT answer, so are the X-CSTP- and X-DTLS- names the server sets itself.
std::optional<std::string> header_line_error(std::string_view line, HeaderUse use);

// The X-CSTP- and X-DTLS- headers the CONNECT answer may carry (a unit test holds
// worker/anyconnect/connect_reply.cpp to it).
std::span<const std::string_view> connect_answer_names();

// Whether a header line's name is `name` (ASCII case-insensitive).
bool header_named(std::string_view line, std::string_view name);

// ocserv's placeholders in a custom-header line: %{U} the user, %{G} the group. The names
// come from clients: control characters are left out of them.
std::string expand_user_group(std::string_view line, std::string_view user, std::string_view group);

}  // namespace sslvpn
