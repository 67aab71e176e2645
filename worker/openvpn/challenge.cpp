#include "worker/openvpn/challenge.hpp"

#include <gnutls/gnutls.h>

namespace sslvpn::ovpn {
namespace {

constexpr std::string_view kStatic = "SCRV1:";
constexpr std::string_view kDynamic = "CRV1::";

bool state_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

}  // namespace

std::string base64_encode(std::string_view in) {
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(in.data())),
                   static_cast<unsigned>(in.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_base64_encode2(&d, &out) < 0) return {};
  std::string s(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return s;
}

bool base64_decode(std::string_view in, std::string* out) {
  if (in.empty()) {
    out->clear();
    return true;
  }
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(in.data())),
                   static_cast<unsigned>(in.size())};
  gnutls_datum_t raw{nullptr, 0};
  if (gnutls_base64_decode2(&d, &raw) < 0) return false;
  out->assign(reinterpret_cast<const char*>(raw.data), raw.size);
  secure_wipe(raw.data, raw.size);
  gnutls_free(raw.data);
  return true;
}

PasswordField parse_password_field(std::string_view f) {
  PasswordField p;
  if (f.substr(0, kStatic.size()) == kStatic) {
    std::string_view rest = f.substr(kStatic.size());
    auto colon = rest.find(':');
    std::string pass, resp;
    if (colon != std::string_view::npos && base64_decode(rest.substr(0, colon), &pass) &&
        base64_decode(rest.substr(colon + 1), &resp)) {
      p.kind = PasswordField::Kind::Static;
      p.password = SecretBytes(pass);
      p.response = SecretBytes(resp);
      wipe_string(pass);
      wipe_string(resp);
      return p;
    }
    wipe_string(pass);
    wipe_string(resp);
  } else if (f.substr(0, kDynamic.size()) == kDynamic) {
    std::string_view rest = f.substr(kDynamic.size());
    auto sep = rest.find("::");
    if (sep != std::string_view::npos && sep > 0) {
      p.kind = PasswordField::Kind::Dynamic;
      p.state_id = std::string(rest.substr(0, sep));
      p.response = SecretBytes(rest.substr(sep + 2));
      return p;
    }
  }
  p.password = SecretBytes(f);
  return p;
}

std::string make_state_id(std::string_view context, std::string_view field) {
  // Hex-escape anything the syntax cannot carry (contexts and field names are ASCII).
  auto escape = [](std::string_view part, std::string* id) {
    static const char* hex = "0123456789abcdef";
    for (char c : part) {
      if (state_char(c) && c != '.' && c != '_') {
        *id += c;
      } else {
        *id += '_';
        *id += hex[static_cast<unsigned char>(c) >> 4];
        *id += hex[static_cast<unsigned char>(c) & 15];
      }
    }
  };
  std::string id;
  escape(context, &id);
  id += '.';
  escape(field, &id);
  return id;
}

bool split_state_id(std::string_view id, std::string* context, std::string* field) {
  auto dot = id.find('.');
  if (dot == std::string_view::npos || id.size() > 512) return false;
  auto unescape = [](std::string_view in, std::string* out) {
    out->clear();
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '_') {
        if (!state_char(in[i]) || in[i] == '.') return false;
        *out += in[i];
        continue;
      }
      if (i + 2 >= in.size()) return false;
      auto nib = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      };
      int hi = nib(in[i + 1]), lo = nib(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi << 4 | lo);
      i += 2;
    }
    return true;
  };
  return unescape(id.substr(0, dot), context) && unescape(id.substr(dot + 1), field);
}

std::string crv1_challenge(std::string_view state_id, std::string_view user, std::string_view text,
                           bool echo) {
  std::string clean;
  for (char c : text) clean += (c == ',' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  return std::string("CRV1:R") + (echo ? ",E" : "") + ":" + std::string(state_id) + ":" +
         base64_encode(user) + ":" + clean;
}

}  // namespace sslvpn::ovpn
