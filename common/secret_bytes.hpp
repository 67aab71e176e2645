// SecretBytes: a byte string that is wiped when it dies and never formatted (STYLE rule 13).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sslvpn {

void secure_wipe(void* p, size_t n) noexcept;

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view s) : s_(s) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    wipe();
    s_ = std::move(o.s_);
    o.wipe();
    return *this;
  }
  ~SecretBytes() { wipe(); }

  std::string_view view() const noexcept { return s_; }
  const char* c_str() const noexcept { return s_.c_str(); }
  size_t size() const noexcept { return s_.size(); }
  bool empty() const noexcept { return s_.empty(); }
  void wipe() noexcept {
    secure_wipe(s_.data(), s_.size());
    s_.clear();
  }

 private:
  std::string s_;
};

// Wipes a std::string that held a secret (protobuf fields, parser output).
inline void wipe_string(std::string& s) noexcept {
  secure_wipe(s.data(), s.size());
  s.clear();
}

}  // namespace sslvpn
