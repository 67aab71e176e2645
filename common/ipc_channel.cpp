#include "common/ipc_channel.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <vector>

namespace sslvpn {

Result<std::pair<UniqueFd, UniqueFd>> make_ipc_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return Errc::Io;
  return std::pair<UniqueFd, UniqueFd>{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Result<void> IpcChannel::send_bytes(const google::protobuf::MessageLite& msg, int pass_fd) {
  std::string buf;
  if (!msg.SerializeToString(&buf)) return Errc::Malformed;
  if (buf.size() > kMaxIpcMessage) return Errc::Limit;
  // An empty datagram reads as EOF on SOCK_SEQPACKET; a default envelope is never sent,
  // but guard anyway so the peer never mistakes a message for a close.
  if (buf.empty()) return Errc::Malformed;
  return send_datagram(buf, pass_fd, false);
}

Result<void> IpcChannel::send_datagram(const std::string& bytes, int pass_fd, bool dont_wait) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    std::memset(cbuf, 0, sizeof cbuf);
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd_.get(), &mh, MSG_NOSIGNAL | (dont_wait ? MSG_DONTWAIT : 0));
    if (n == static_cast<ssize_t>(bytes.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Errc::Timeout;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return Errc::Closed;
    return Errc::Io;
  }
}

Result<IpcDatagram> IpcChannel::recv_datagram(bool dont_wait) {
  // One byte more than the limit, so an oversized datagram shows up as MSG_TRUNC. On the stack
  // and not zeroed: only what arrives is copied out (a 64 KiB heap buffer, zeroed, for every
  // message cost main, sec-mod and each worker a memset and page faults per message).
  char buf[kMaxIpcMessage + 1];
  iovec iov{buf, sizeof buf};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC | (dont_wait ? MSG_DONTWAIT : 0));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Errc::Timeout;
    if (errno == ECONNRESET) return Errc::Closed;
    return Errc::Io;
  }
  IpcDatagram d;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      std::vector<int> fds(nfds);
      std::memcpy(fds.data(), CMSG_DATA(c), nfds * sizeof(int));
      for (size_t i = 0; i < nfds; ++i) {
        if (i == 0 && !d.fd.valid())
          d.fd.reset(fds[i]);
        else
          UniqueFd drop(fds[i]);  // more than one fd is never legal: close the extras
      }
      if (nfds > 1) return Errc::Limit;
    }
  }
  if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return Errc::Limit;
  if (n == 0) return Errc::Closed;
  d.bytes.assign(buf, static_cast<size_t>(n));
  explicit_bzero(buf, static_cast<size_t>(n));  // a login's password may be in it
  return d;
}

}  // namespace sslvpn
