// HTTP/1.1 request parser: a pure function of the bytes received so far (STYLE rule 15).
// Strict where smuggling hides: CRLF line ends only, no obs-fold, one Content-Length,
// no Transfer-Encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::http {

struct Limits {
  size_t max_request_line = 8192;
  size_t max_header_bytes = 16384;  // request line + headers + blank line
  size_t max_headers = 64;
  size_t max_body = 64 * 1024;
};

struct Header {
  std::string name;  // lower-cased
  std::string value;
};

struct Request {
  std::string method;
  std::string target;
  int minor_version = 1;  // HTTP/1.x
  std::vector<Header> headers;
  std::string body;

  // The first header with this (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
  bool keep_alive() const;
};

struct Parsed {
  Request request;
  size_t consumed = 0;  // bytes of the input this request used
};

// nullopt: need more bytes. Errors: Malformed (400), Limit (431 or 414), BadLength (413),
// UnknownType (501: Transfer-Encoding), State (505: not HTTP/1.x).
Result<std::optional<Parsed>> parse_request(std::span<const uint8_t> in, const Limits& limits);

// The status code a client should get for a parse error.
int status_for_error(Errc e) noexcept;

}  // namespace sslvpn::http
