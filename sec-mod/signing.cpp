// sec-mod: signatures for workers' TLS handshakes, made on the crypto pool's threads with a key
// copy per thread (sec-mod/crypto_pool.hpp).
#include <algorithm>
#include <memory>
#include <utility>

#include "common/text.hpp"
#include "sec-mod/sec_mod.hpp"

namespace sslvpn::secmod {

Result<void> SecMod::on_sign(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  const auto& s = m.sign();
  if (p.signing) return Errc::Limit;  // a TLS handshake waits for its signature: never two
  if (!p.signs.take(time(nullptr))) return Errc::Limit;
  if (s.data().size() > kMaxSignInput || s.key_id().size() > kMaxKeyId) return Errc::Limit;
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
  // A key none of our sets holds signs nothing: another key would not match the certificate
  // the client was shown.
  auto found = key_for(p, s);  // no structured binding: clang cannot capture one (C++20)
  std::shared_ptr<const KeySet> keys = std::move(found.first);
  const KeySet::Copies* copies = found.second;
  if (copies == nullptr) {
    send_signature(id, std::nullopt, s.algorithm());
    return {};
  }
  bool queued = pool_.submit(
      CryptoPool::Lane::Sign,
      [job, keys = std::move(keys), copies](size_t t) {  // `keys` keeps `copies` alive
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

// The key of the certificate the worker showed: named by its key id, in the current set or, for
// a worker attached before a reload replaced it, in a retired one; without an id, the host and
// pair index.
std::pair<std::shared_ptr<const KeySet>, const KeySet::Copies*> SecMod::key_for(
    const WorkerPeer& p, const ipc::SignRequest& s) const {
  if (s.key_id().empty()) return {keys_, keys_->find(s.vhost(), s.key_index())};
  if (const auto* c = keys_->find_id(s.key_id())) return {keys_, c};
  for (const auto& r : retired_keys_) {
    if (p.attached_at >= r.retired_at + kRetiredKeyGrace) break;  // nor the older ones
    if (const auto* c = r.keys->find_id(s.key_id())) return {r.keys, c};
  }
  return {nullptr, nullptr};
}

void SecMod::retire_keys(std::shared_ptr<const KeySet> old) {
  if (!old || keys_->covers(*old)) return;  // every old certificate still has its key
  retired_keys_.push_front(RetiredKeys{std::move(old), ev_now(loop_)});
  if (retired_keys_.size() > kMaxRetiredKeySets) retired_keys_.pop_back();
}

void SecMod::prune_retired_keys() {
  double oldest = ev_now(loop_);
  for (const auto& [id, p] : peers_) oldest = std::min(oldest, p->attached_at);
  while (!retired_keys_.empty() && oldest >= retired_keys_.back().retired_at + kRetiredKeyGrace)
    retired_keys_.pop_back();
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
    if (iequals(names[i], vhost)) return index < hosts[i].size() ? &hosts[i][index].copies : nullptr;
  return nullptr;
}

const KeySet::Copies* KeySet::find_id(std::string_view id) const {
  for (const auto& host : hosts)
    for (const auto& pair : host)
      if (pair.id == id) return &pair.copies;
  return nullptr;
}

bool KeySet::covers(const KeySet& other) const {
  for (const auto& host : other.hosts)
    for (const auto& pair : host)
      if (find_id(pair.id) == nullptr) return false;
  return true;
}

namespace {

// One certificate and key pair: `copies` loads of the key (the first given, when it is), the
// first checked against the certificate.
KeySet::Pair load_pair(const Config& c, const std::string& cert, const std::string& key, size_t copies,
                       std::optional<ServerKey> first) {
  KeySet::Pair p;
  auto& v = p.copies;
  if (first) v.push_back(std::move(*first));
  while (v.size() < std::max<size_t>(copies, 1)) v.push_back(ServerKey::load(key, ServerKey::pin_of(c)));
  p.id = v.front().check_certificate(cert, key);
  return p;
}

std::vector<KeySet::Pair> load_host(const Config& c, size_t copies, std::optional<ServerKey> first) {
  std::vector<KeySet::Pair> pairs;
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
