// RAII owners for file descriptors and C library handles (STYLE rule 11).
#pragma once

#include <unistd.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace sslvpn {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// unique_ptr deleter calling a C free function: CHandle<gnutls_session_int, gnutls_deinit>.
template <auto F>
struct CDeleter {
  template <class P>
  void operator()(P* p) const noexcept {
    F(p);
  }
};

template <class T, auto F>
using CHandle = std::unique_ptr<T, CDeleter<F>>;

}  // namespace sslvpn
