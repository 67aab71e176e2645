#include "worker/secmod_client.hpp"

#include "common/secret_bytes.hpp"
#include "worker/secmod_credentials.hpp"

namespace sslvpn::worker {

Result<ipc::SecModToWorker> SecModClient::call(const ipc::WorkerToSecMod& req,
                                               ipc::SecModToWorker::MsgCase expect) {
  if (auto r = ch_.send(req); !r) return r.error();
  auto rep = ch_.recv<ipc::SecModToWorker>(false);
  if (!rep.ok()) return rep.error();
  if (rep->second.valid() || rep->first.msg_case() != expect) return Errc::UnknownType;
  return std::move(rep->first);
}

Result<std::string> SecModClient::sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data,
                                       const ExternalKey& key) {
  ipc::WorkerToSecMod req;
  auto* s = req.mutable_sign();
  s->set_kind(hash ? ipc::SignRequest::HASH : ipc::SignRequest::DATA);
  s->set_algorithm(algorithm);
  s->set_flags(flags);
  s->set_data(std::string(data));
  s->set_vhost(key.vhost);
  s->set_key_index(key.index);
  s->set_key_id(key.id);
  auto rep = call(req, ipc::SecModToWorker::kSign);
  if (!rep.ok()) return rep.error();
  if (!rep->sign().ok()) return Errc::Crypto;
  return std::string(rep->sign().signature());
}

Result<ipc::AuthReply> SecModClient::auth(ipc::WorkerToSecMod& req) {
  if (req.has_auth_init()) req.mutable_auth_init()->set_vhost(vhost_);
  auto rep = call(req, ipc::SecModToWorker::kAuth);
  if (req.has_auth_init()) wipe_string(*req.mutable_auth_init()->mutable_password());
  if (req.has_auth_continue())
    for (auto& a : *req.mutable_auth_continue()->mutable_answers()) wipe_string(*a.mutable_value());
  if (!rep.ok()) return rep.error();
  return std::move(*rep->mutable_auth());
}

Result<bool> SecModClient::logout(const std::string& cookie) {
  ipc::WorkerToSecMod req;
  req.mutable_logout()->set_cookie(cookie);
  auto rep = call(req, ipc::SecModToWorker::kLogout);
  if (!rep.ok()) return rep.error();
  return rep->logout().ok();
}

}  // namespace sslvpn::worker
