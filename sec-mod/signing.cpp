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
  // A host or pair this key set lacks (a reload removed it, or could not load its key) signs
  // nothing: another key would not match the certificate the client was shown.
  const KeySet::Copies* copies = keys_->find(s.vhost(), s.key_index());
  if (copies == nullptr) {
    send_signature(id, std::nullopt, s.algorithm());
    return {};
  }
  bool queued = pool_.submit(
      CryptoPool::Lane::Sign,
      [job, keys = keys_, copies](size_t t) {  // `keys` keeps `copies` alive
        job->sig = (*copies)[t % copies->size()].sign(job->hash, job->algorithm, job->flags, job->data);
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

const KeySet::Copies* KeySet::find(std::string_view vhost, unsigned index) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (iequals(names[i], vhost)) return index < hosts[i].size() ? &hosts[i][index] : nullptr;
  return nullptr;
}

namespace {

// One certificate and key pair: `copies` loads of the key (the first given, when it is), the
// first checked against the certificate.
KeySet::Copies load_pair(const Config& c, const std::string& cert, const std::string& key, size_t copies,
                         std::optional<ServerKey> first) {
  KeySet::Copies v;
  if (first) v.push_back(std::move(*first));
  while (v.size() < std::max<size_t>(copies, 1)) v.push_back(ServerKey::load(key, ServerKey::pin_of(c)));
  v.front().check_certificate(cert, key);
  return v;
}

std::vector<KeySet::Copies> load_host(const Config& c, size_t copies, std::optional<ServerKey> first) {
  std::vector<KeySet::Copies> pairs;
  pairs.push_back(load_pair(c, c.server_cert, c.server_key, copies, std::move(first)));
  for (size_t i = 0; i < c.more_server_certs.size() && i < c.more_server_keys.size(); ++i)
    pairs.push_back(load_pair(c, c.more_server_certs[i], c.more_server_keys[i], copies, std::nullopt));
  return pairs;
}

}  // namespace

std::shared_ptr<const KeySet> KeySet::load(ServerKey first, const Config& cfg, size_t copies) {
  auto set = std::make_shared<KeySet>();
  set->hosts.push_back(load_host(cfg, copies, std::move(first)));
  set->names.emplace_back();
  for (const auto& v : cfg.vhosts) {
    set->hosts.push_back(load_host(*v.config, copies, std::nullopt));
    set->names.push_back(v.name);
  }
  return set;
}

}  // namespace sslvpn::secmod
