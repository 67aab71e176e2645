// The answer to CONNECT /CSCOSSLC/tunnel (protocols.md A3): "HTTP/1.1 200 CONNECTED" and the
// X-CSTP-* headers the clients read. No body: CSTP frames follow the blank line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc.pb.h"

namespace sslvpn::cstp {

// The DTLS part of the reply; disabled means no X-DTLS-* headers (the client stays on CSTP).
struct DtlsReply {
  bool enabled = false;
  std::string app_id_hex;      // PSK-NEGOTIATE: X-DTLS-App-ID
  std::string legacy_cipher;   // legacy mode: the chosen suite ("" = PSK mode)
  bool legacy_dtls12 = false;  // the suite came from X-DTLS12-CipherSuite
  std::string session_id_hex;  // legacy: X-DTLS-Session-ID
};

// The compression methods chosen (X-CSTP-Content-Encoding / X-DTLS-Content-Encoding); "" = none.
struct CompressionReply {
  std::string_view cstp, dtls;
};

// What the reply says beyond TunnelParams, from the worker's own choices.
struct ReplyChoices {
  CompressionReply compression;
  bool rekey_in_place = false;  // X-CSTP-Rekey-Method: ssl (the client renegotiates TLS)
  std::string banner;           // X-CSTP-Banner (openconnect hands it to its script as CISCO_BANNER)
  std::vector<std::string> custom_headers;  // custom-header: "Name: value" lines, checked at load
};

std::string build_connect_reply(const ipc::TunnelParams& p, std::string_view server_name,
                                const DtlsReply& dtls, const ReplyChoices& choices = {});

// Whether a client's X-DTLS-CipherSuite list offers openconnect's PSK-NEGOTIATE mode.
bool offers_psk_negotiate(std::string_view ciphersuites);

// The value of cookie `name` in a Cookie header ("a=1; webvpn=XYZ; b=2"), if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace sslvpn::cstp
