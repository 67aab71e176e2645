// The worker's side of its sec-mod channel (fd 4). Calls are synchronous: the worker serves one
// client and has nothing else to do while sec-mod answers.
#pragma once

#include <string>
#include <string_view>

#include "common/ipc_channel.hpp"
#include "common/result.hpp"
#include "ipc.pb.h"

namespace sslvpn::worker {

struct ExternalKey;

class SecModClient {
 public:
  explicit SecModClient(IpcChannel ch) : ch_(std::move(ch)) {}

  // Which key signs: `key.id`, the key id of the certificate the client was shown (sec-mod
  // keeps the keys a reload replaced, for workers started before it), and `key.vhost` and
  // `key.index` (the [vhost:NAME] the client's TLS server name chose, "" = default, and which
  // of its certificate and key pairs).
  Result<std::string> sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data,
                           const ExternalKey& key);
  // The [vhost:NAME] the TLS handshake chose: every login request names it.
  void set_vhost(std::string name) { vhost_ = std::move(name); }
  // Sends a login request (AuthInit or AuthContinue); wipes its secrets once sent.
  Result<ipc::AuthReply> auth(ipc::WorkerToSecMod& req);
  // GlobalProtect's logout.esp: ends the session of `cookie` for good; false if it was not live.
  Result<bool> logout(const std::string& cookie);

 private:
  Result<ipc::SecModToWorker> call(const ipc::WorkerToSecMod& req, ipc::SecModToWorker::MsgCase expect);
  IpcChannel ch_;
  std::string vhost_;
};

}  // namespace sslvpn::worker
