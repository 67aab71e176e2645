// openvpn's challenge protocols for a second factor (TOTP codes, RADIUS challenges, PAM
// prompts), in the password field of the key-method-2 message. Pure.
//   static-challenge:  the client asks its user for the response before it connects and sends
//                      "SCRV1:<base64 password>:<base64 response>".
//   dynamic (CRV1):    the server answers the first login with
//                      "AUTH_FAILED,CRV1:<flags>:<state id>:<base64 user>:<text>"; the client
//                      asks its user and connects again with "CRV1::<state id>::<response>".
#pragma once

#include <string>
#include <string_view>

#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

struct PasswordField {
  enum class Kind : uint8_t { Plain, Static, Dynamic };
  Kind kind = Kind::Plain;
  SecretBytes password;  // Plain, Static
  SecretBytes response;  // Static, Dynamic
  std::string state_id;  // Dynamic
};

// Never fails: a field that is not a well-formed challenge answer is a plain password.
PasswordField parse_password_field(std::string_view field);

// The state id names sec-mod's login (its context) and the field the answer goes to; it
// holds only characters the CRV1 syntax allows (no ':').
std::string make_state_id(std::string_view context, std::string_view field);
bool split_state_id(std::string_view state_id, std::string* context, std::string* field);

// "CRV1:R[,E]:<state id>:<base64 user>:<text>" (E: the client may echo the response).
std::string crv1_challenge(std::string_view state_id, std::string_view user, std::string_view text,
                           bool echo);

std::string base64_encode(std::string_view in);
bool base64_decode(std::string_view in, std::string* out);

}  // namespace sslvpn::ovpn
