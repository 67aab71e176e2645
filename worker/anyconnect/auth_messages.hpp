// AnyConnect login messages (protocols.md A1): what the client posts (XML aggregate auth or a
// legacy url-encoded form) and the XML documents we answer with.
#pragma once

#include "common/text.hpp"
#include "worker/http/form.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::anyconnect {

// Field sizes we accept from a client; larger ones are a malformed request.
inline constexpr size_t kMaxNameField = 256;
inline constexpr size_t kMaxPasswordField = 4096;

struct ClientAuth {
  enum class Type { Init, AuthReply, Logout };
  Type type = Type::AuthReply;
  std::string username;
  std::string password;  // the caller wipes it after use
  bool has_password = false;
  std::string group;  // <group-select> or group_list
  // Every answered input by name, in order (answers to a sec-mod form); the caller wipes them.
  std::vector<std::pair<std::string, std::string>> fields;
};

// At most this many inputs in one posted form.
inline constexpr size_t kMaxFormFields = 16;

// Parses <config-auth client="vpn" type="init|auth-reply|logout"> with libxml2. Documents with a
// DTD are refused (no entity games).
Result<ClientAuth> parse_client_auth_xml(std::string_view body);
// Parses "username=..&password=..&group_list=.." (openconnect's non-XML mode, browsers).
Result<ClientAuth> parse_client_auth_form(std::string_view body);
// Percent-decoding with '+' as space (worker/http/form).
using http::url_decode;

struct GroupOption {
  std::string name;
  std::string label;
};

struct FormInput {
  bool secret = false;  // type="password"
  std::string name;
  std::string label;
};

struct LoginForm {
  std::string message = "Please enter your username and password.";
  // The inputs; empty means the first form (username and password, then the group list).
  std::vector<FormInput> inputs;
  std::string error;   // shown by the client before re-prompting
  std::string banner;  // pre-login banner
  std::vector<GroupOption> groups;
  std::string selected_group;
};

std::string build_auth_request(const LoginForm& form);
// With a profile (ocserv's user-profile), the answer carries AnyConnect's profile manifest: its
// /profiles/ path and SHA-1 (hex), which the client compares with its own copy before it asks.
struct ProfileRef {
  std::string_view name;
  std::string_view sha1;
};
std::string build_auth_complete(std::string_view banner, std::optional<ProfileRef> profile = std::nullopt);
// An auth-request with a message, an error and no inputs: a refusal clients display.
std::string build_auth_notice(std::string_view message, std::string_view error);

using sslvpn::xml_escape;

}  // namespace sslvpn::anyconnect
