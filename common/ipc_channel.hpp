// One end of an IPC channel: a SOCK_SEQPACKET Unix socket carrying one protobuf envelope per
// datagram, with at most one file descriptor (SCM_RIGHTS) beside it (STYLE rule 7).
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstddef>
#include <cstring>  // explicit_bzero
#include <string>
#include <type_traits>
#include <utility>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "ctl.pb.h"
#include "ipc.pb.h"

namespace sslvpn {

// Only the per-direction envelopes of proto/ipc.proto travel on a channel; sending an inner
// message by mistake is a compile error.
template <class M>
concept IpcEnvelope = std::is_same_v<M, ipc::MainToSecMod> || std::is_same_v<M, ipc::SecModToMain> ||
    std::is_same_v<M, ipc::MainToWorker> || std::is_same_v<M, ipc::WorkerToMain> ||
    std::is_same_v<M, ipc::WorkerToSecMod> || std::is_same_v<M, ipc::SecModToWorker> ||
    std::is_same_v<M, ipc::MainToZygote> || std::is_same_v<M, ipc::ZygoteToMain> ||
    std::is_same_v<M, ipc::MainToCollector> || std::is_same_v<M, ipc::CollectorToMain> ||
    std::is_same_v<M, ctl::CtlRequest> || std::is_same_v<M, ctl::CtlReply>;

// Upper bound of one IPC message; the largest is WorkerStartup with a certificate chain.
inline constexpr size_t kMaxIpcMessage = 64 * 1024;

struct IpcDatagram {
  std::string bytes;
  UniqueFd fd;  // invalid unless the sender attached one
};

class IpcChannel {
 public:
  IpcChannel() = default;
  explicit IpcChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  int raw_fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }
  void close() noexcept { fd_.reset(); }

  // Sends one envelope; blocks while the peer's queue is full. `pass_fd` < 0 sends none.
  template <IpcEnvelope M>
  Result<void> send(const M& msg, int pass_fd = -1) {
    return send_bytes(msg, pass_fd);
  }

  // Sends an already serialized envelope (see serialize()); with `dont_wait` a full peer queue
  // is Errc::Timeout instead of blocking.
  Result<void> send_datagram(const std::string& bytes, int pass_fd, bool dont_wait);

  // Receives one datagram. Errc::Closed at EOF, Errc::Timeout when `dont_wait` and nothing is
  // queued, Errc::Limit when it was truncated (oversized, or more than one fd).
  Result<IpcDatagram> recv_datagram(bool dont_wait);

  // Receives and parses one envelope of type M.
  template <IpcEnvelope M>
  Result<std::pair<M, UniqueFd>> recv(bool dont_wait) {
    auto d = recv_datagram(dont_wait);
    if (!d.ok()) return d.error();
    M m;
    bool parsed = m.ParseFromString(d->bytes);
    explicit_bzero(d->bytes.data(), d->bytes.size());  // a login's password may be in it
    if (!parsed) return Errc::Malformed;
    return std::pair<M, UniqueFd>{std::move(m), std::move(d->fd)};
  }

 private:
  Result<void> send_bytes(const google::protobuf::MessageLite& msg, int pass_fd);
  UniqueFd fd_;
};

// The wire form of an envelope, checked against the size limit.
template <IpcEnvelope M>
Result<std::string> serialize(const M& msg) {
  std::string buf;
  if (!msg.SerializeToString(&buf) || buf.empty()) return Errc::Malformed;
  if (buf.size() > kMaxIpcMessage) return Errc::Limit;
  return buf;
}

// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC); Errc::Io on failure.
Result<std::pair<UniqueFd, UniqueFd>> make_ipc_pair();

}  // namespace sslvpn
