// sec-mod: signatures for workers' TLS handshakes, made on the crypto pool's threads with a key
// copy per thread (sec-mod/crypto_pool.hpp).
#include <algorithm>
#include <memory>

#include "common/text.hpp"
#include "sec-mod/sec_mod.hpp"

namespace sslvpn::secmod {

Result<void> SecMod::on_sign(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  const auto& s = m.sign();
  if (p.signing) return Errc::Limit;  // a TLS handshake waits for its signature: never two
  if (!p.signs.take(time(nullptr))) return Errc::Limit;
  if (s.data().size() > kMaxSignInput) return Errc::Limit;
  // On a pool thread; the worker waits for the reply.
  struct Job {
    bool hash;
    unsigned algorithm, flags;
    std::string data;
    std::optional<Result<std::string>> sig;
  };
  auto job =
      std::make_shared<Job>(Job{s.kind() == ipc::SignRequest::HASH, s.algorithm(), s.flags(), s.data(), {}});
  uint64_t id = p.id;
  // A host this key set lacks (a reload removed it, or could not load its key) signs nothing:
  // another host's key would not match the certificate the client was shown.
  auto host = keys_->index_of(s.vhost());
  if (!host) {
    send_signature(id, std::nullopt, s.algorithm());
    return {};
  }
  bool queued = pool_.submit(
      CryptoPool::Lane::Sign,
      [job, keys = keys_, host = *host](size_t t) {
        const auto& copies = keys->hosts[host];
        job->sig = copies[t % copies.size()].sign(job->hash, job->algorithm, job->flags, job->data);
      },
      [this, job, id] { send_signature(id, job->sig, job->algorithm); });
  if (!queued) {
    send_signature(id, std::nullopt, s.algorithm());  // busy: this handshake fails (p may be gone)
    return {};
  }
  p.signing = true;
  return {};
}

void SecMod::send_signature(uint64_t peer, const std::optional<Result<std::string>>& sig,
                            unsigned algorithm) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;  // the worker went away meanwhile
  it->second->signing = false;
  ipc::SecModToWorker reply;
  bool ok = sig && sig->ok();
  reply.mutable_sign()->set_ok(ok);
  if (ok)
    reply.mutable_sign()->set_signature(sig->value());
  else
    log_.debug("worker ", peer, ": signing failed (algorithm ", algorithm,
               sig ? ")" : "; the queue is full)");
  if (auto r = it->second->channel.send(reply); !r)
    drop_peer(peer, std::string("request failed: ") + errc_name(r.error()));
}

std::optional<size_t> KeySet::index_of(std::string_view vhost) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (iequals(names[i], vhost)) return i;
  return std::nullopt;
}

std::shared_ptr<const KeySet> KeySet::load(ServerKey first, const Config& cfg, size_t copies) {
  auto set = std::make_shared<KeySet>();
  set->hosts.emplace_back();
  set->names.emplace_back();
  first.check_certificate(cfg.server_cert, cfg.server_key);
  set->hosts[0].push_back(std::move(first));
  for (size_t i = 1; i < copies; ++i)
    set->hosts[0].push_back(ServerKey::load(cfg.server_key, ServerKey::pin_of(cfg)));
  for (const auto& v : cfg.vhosts) {
    std::vector<ServerKey> keys;
    for (size_t i = 0; i < copies; ++i)
      keys.push_back(ServerKey::load(v.config->server_key, ServerKey::pin_of(*v.config)));
    if (!keys.empty()) keys.front().check_certificate(v.config->server_cert, v.config->server_key);
    set->hosts.push_back(std::move(keys));
    set->names.push_back(v.name);
  }
  return set;
}

}  // namespace sslvpn::secmod
