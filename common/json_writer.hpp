// A small JSON writer for sslvpnctl's --json output. Output is always valid JSON: strings are
// escaped, and bytes that are not valid UTF-8 (user names are bytes) become U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sslvpn {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& value(const std::vector<std::string>& list);
  template <class V>
  JsonWriter& field(std::string_view k, const V& v) {
    key(k);
    return value(v);
  }
  const std::string& str() const noexcept { return out_; }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Appends `s` as a quoted JSON string.
void json_quote(std::string& out, std::string_view s);

}  // namespace sslvpn
