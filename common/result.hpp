// Result<T>: the error channel of parsers, engines and IPC handlers (STYLE rule 9).
// Shaped like std::expected so it can be swapped for it once the toolchain has one.
#pragma once

#include <cstdint>
#include <utility>
#include <variant>

namespace sslvpn {

enum class Errc : uint8_t {
  Truncated,    // input ended before the structure did
  Malformed,    // syntax error in the input
  Limit,        // input exceeds a configured limit
  BadLength,    // a length field disagrees with the data
  UnknownType,  // a type/kind value we do not know
  State,        // request not legal in the current state
  Io,           // the OS refused an I/O operation
  Closed,       // peer closed the channel
  Timeout,      // a deadline passed
  Crypto,       // a cryptographic operation failed
  NotFound,     // a named thing does not exist
  Denied,       // authentication or permission refused
};

const char* errc_name(Errc e) noexcept;

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}  // NOLINT: implicit by design, like std::expected
  Result(Errc e) : v_(e) {}          // NOLINT
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  Errc error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Errc> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Errc e) : err_(e), ok_(false) {}  // NOLINT
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  Errc error() const { return err_; }

 private:
  Errc err_ = Errc::Malformed;
  bool ok_ = true;
};

}  // namespace sslvpn
