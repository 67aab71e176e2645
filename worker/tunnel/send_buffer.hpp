// Writing a queued byte buffer to a stream socket without blocking (the TLS tunnel's records,
// OpenVPN's framed TCP packets): as much as the socket takes, the rest stays for the next call.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::tunnel {

// true: all of `out` (from `pos`) was written and the buffer is empty again; false: the socket
// is full (wait for POLLOUT); an error: the connection is broken.
inline Result<bool> send_buffered(int fd, std::vector<uint8_t>& out, size_t& pos) {
  while (pos < out.size()) {
    ssize_t n = ::send(fd, out.data() + pos, out.size() - pos, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    return Errc::Io;
  }
  out.clear();
  pos = 0;
  return true;
}

}  // namespace sslvpn::tunnel
