// application/x-www-form-urlencoded bodies and query strings: a pure function of the bytes,
// with limits on what a client can make us keep. Used by AnyConnect's form logins and by every
// GlobalProtect request.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::http {

// "%41+b" -> "A b". A '%' not followed by two hex digits is Malformed.
Result<std::string> url_decode(std::string_view in);

struct FormLimits {
  size_t max_fields = 64;
  size_t max_value = 16384;
};

// The decoded fields in their order; a name may repeat (get() returns the first).
class Form {
 public:
  const std::string* get(std::string_view name) const;
  // The value or "" when absent.
  std::string value(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  // Overwrites every value (passwords) before the form goes away.
  void wipe();
  ~Form() { wipe(); }
  Form() = default;
  Form(Form&&) = default;
  Form& operator=(Form&&) = default;

 private:
  friend Result<Form> parse_form(std::string_view, const FormLimits&);
  std::vector<std::pair<std::string, std::string>> fields_;
};

// "a=1&b=2" (empty pairs skipped; a name without '=' has an empty value). Malformed escapes
// are Malformed; more fields or longer values than the limits are Limit.
Result<Form> parse_form(std::string_view body, const FormLimits& limits = {});

// The query string of a request target ("" when there is none).
std::string_view query_of(std::string_view target);
// The path of a request target, without its query.
std::string_view path_of(std::string_view target);

}  // namespace sslvpn::http
