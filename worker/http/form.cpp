#include "worker/http/form.hpp"

#include "common/secret_bytes.hpp"

namespace sslvpn::http {
namespace {

int hex_value(char h) {
  if (h >= '0' && h <= '9') return h - '0';
  if (h >= 'a' && h <= 'f') return h - 'a' + 10;
  if (h >= 'A' && h <= 'F') return h - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return Errc::Malformed;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return Errc::Malformed;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const std::string* Form::get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (n == name) return &v;
  return nullptr;
}

std::string Form::value(std::string_view name) const {
  const std::string* v = get(name);
  return v ? *v : std::string();
}

void Form::wipe() {
  for (auto& [n, v] : fields_) wipe_string(v);
}

Result<Form> parse_form(std::string_view body, const FormLimits& limits) {
  Form f;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    if (f.fields_.size() >= limits.max_fields || pair.size() > limits.max_value * 3 + 256) return Errc::Limit;
    auto eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    auto value = url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name.ok() || !value.ok()) return Errc::Malformed;
    if (value->size() > limits.max_value || name->size() > 256) return Errc::Limit;
    f.fields_.emplace_back(std::move(name).value(), std::move(value).value());
  }
  return f;
}

std::string_view query_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace sslvpn::http
