#include "worker/nvm/collector.hpp"

#include <netinet/in.h>
#include <poll.h>

#include <cstring>
#include <ctime>

namespace sslvpn::nvm {
namespace {

constexpr size_t kBatch = 64;  // datagrams per recvmmsg
constexpr size_t kMaxDatagram = 65536;
constexpr size_t kFlushAt = 65536;        // flows per transaction (fewer index page writes)
constexpr double kFlushAfter = 1.0;       // s a queued flow waits at most
constexpr size_t kMaxEndpoints = 100000;  // identity records remembered for joining
constexpr double kHousekeeping = 30;      // s between template expiry, pruning and retention

double now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

IpAddr address_of(const sockaddr_storage& ss, uint16_t* port) {
  IpAddr a;
  if (ss.ss_family == AF_INET) {
    const auto& s4 = reinterpret_cast<const sockaddr_in&>(ss);
    a.family = AF_INET;
    std::memcpy(a.b.data(), &s4.sin_addr, 4);
    *port = ntohs(s4.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
    a.family = AF_INET6;
    std::memcpy(a.b.data(), &s6.sin6_addr, 16);
    *port = ntohs(s6.sin6_port);
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.b.data(), kMapped, 12) == 0) {  // an IPv4 exporter on a dual-stack socket
      a.family = AF_INET;
      std::memmove(a.b.data(), a.b.data() + 12, 4);
      std::memset(a.b.data() + 4, 0, 12);
    }
  }
  return a;
}

// The destination address of a received datagram (IP_PKTINFO / IPV6_PKTINFO, which main turned
// on for the collector's sockets); family 0 when absent.
sockaddr_storage local_address(msghdr& mh) {
  sockaddr_storage local{};
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      auto& s4 = reinterpret_cast<sockaddr_in&>(local);
      s4.sin_family = AF_INET;
      s4.sin_addr = pi.ipi_addr;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      auto& s6 = reinterpret_cast<sockaddr_in6&>(local);
      s6.sin6_family = AF_INET6;
      s6.sin6_addr = pi.ipi6_addr;
    }
  }
  return local;
}

}  // namespace

Collector::Collector(Logger& log, IpcChannel main, std::vector<UniqueFd> udp, const ipc::CollectorStartup& st,
                     std::unique_ptr<StoreWriter> writer, const std::array<uint8_t, 32>& pseudonym_key,
                     std::unique_ptr<DtlsExporters> dtls, std::string gateway)
    : log_(log),
      main_(std::move(main)),
      udp_(std::move(udp)),
      st_(st),
      dtls_(std::move(dtls)),
      gateway_(std::move(gateway)),
      writer_(std::move(writer)) {
  privacy_.anonymize_users = st.anonymize_users();
  privacy_.truncate_args = st.truncate_args();
  privacy_.drop_private = st.drop_private();
  privacy_.key = pseudonym_key;
  for (const auto& n : st.exporters())
    if (auto net = parse_ip_net(n)) allowed_.push_back(*net);
  queue_.reserve(kFlushAt);
}

bool Collector::exporter_allowed(const IpAddr& a) const {
  if (allowed_.empty()) return true;
  for (const IpNet& n : allowed_)
    if (n.contains(a)) return true;
  return false;
}

void Collector::on_datagram(std::span<const uint8_t> bytes, const sockaddr_storage& from, double now) {
  uint16_t port = 0;
  IpAddr exporter = address_of(from, &port);
  if (!exporter_allowed(exporter)) {
    ++c_.datagrams_refused;
    return;
  }
  std::string ip = exporter.to_string();
  std::string key = ip + " " + std::to_string(port);
  uint64_t truncated = 0;
  // The exporter's boot time (softflowd's options record), looked up once per message.
  std::optional<int64_t> boot;
  auto boot_key = [&](uint32_t domain) { return key + "|" + std::to_string(domain); };
  auto on_options = [&](const RecordView& r) {
    if (auto t = system_init_ms(r)) {
      if (sys_init_.size() >= kMaxEndpoints) sys_init_.clear();
      sys_init_[boot_key(r.domain)] = *t;
      boot = *t;
    }
  };
  auto on_record = [&](const RecordView& r) {
    if (!boot) {
      auto si = sys_init_.find(boot_key(r.domain));
      boot = si == sys_init_.end() ? -1 : si->second;
    }
    MappedRecord m = map_record(r, ip, map_opt_, *boot, &truncated);
    if (auto* f = std::get_if<FlowRecord>(&m)) {
      queue_flow(std::move(*f), exporter, now);
    } else if (auto* e = std::get_if<EndpointRecord>(&m)) {
      ++c_.endpoints;
      apply_privacy(privacy_, *e);
      remember_endpoint(*e);
      endpoint_queue_.push_back(std::move(*e));
    } else if (auto* i = std::get_if<InterfaceRecord>(&m)) {
      ++c_.interfaces;
      if (interface_names_.size() >= kMaxEndpoints) interface_names_.clear();
      interface_names_[i->udid + "|" + i->interface_uid] = i->name;
      interface_queue_.push_back(std::move(*i));
    }
  };
  (void)decoder_.decode(bytes, key, now, on_record, on_options);
  c_.strings_truncated += truncated;
  if (queue_.size() >= kFlushAt) flush();
}

void Collector::remember_endpoint(const EndpointRecord& e) {
  if (e.udid.empty()) return;
  if (endpoints_.size() >= kMaxEndpoints && !endpoints_.count(e.udid)) endpoints_.clear();
  endpoints_[e.udid] = e;
}

void Collector::queue_flow(FlowRecord&& f, const IpAddr& exporter, double now) {
  // The endpoint's identity record fills what its flow records leave out.
  if (!f.udid.empty()) {
    if (auto it = endpoints_.find(f.udid); it != endpoints_.end()) {
      if (f.claimed_user.empty()) f.claimed_user = it->second.user;
      if (f.os_name.empty()) f.os_name = it->second.os_name;
      if (f.os_version.empty()) f.os_version = it->second.os_version;
      if (f.agent_version.empty()) f.agent_version = it->second.agent_version;
    }
    if (f.interface_uid != 0 && f.interface.empty()) {
      auto it = interface_names_.find(f.udid + "|" + std::to_string(f.interface_uid));
      if (it != interface_names_.end()) f.interface = it->second;
    }
  }
  // Who held the address: the exporter's own (the endpoint sends from inside its tunnel), else
  // the flow's source or destination (an exporter outside the tunnel reporting tunnel traffic).
  int64_t at = f.end_ms ? f.end_ms : static_cast<int64_t>(now * 1000);
  const Holder* h = sessions_.find(exporter, at);
  f.attributed_by = h ? "exporter" : "";
  if (!h && (h = sessions_.find(f.src, at))) f.attributed_by = "flow";
  if (!h && (h = sessions_.find(f.dst, at))) f.attributed_by = "flow";
  if (h) {
    f.vpn_user = h->user;
    f.vpn_group = h->group;
    f.vpn_session = h->session;
    ++c_.flows_attributed;
  } else {
    ++c_.flows_unattributed;
    if (!st_.store_unattributed()) {
      ++c_.flows_dropped_unattributed;
      return;
    }
  }
  if (!apply_privacy(privacy_, f)) {
    ++c_.flows_dropped_private;
    return;
  }
  if (queue_.empty()) first_queued_ = now;
  f.gateway = gateway_;
  queue_.push_back(std::move(f));
}

void Collector::flush() {
  if (queue_.empty() && endpoint_queue_.empty() && interface_queue_.empty()) return;
  writer_->submit(Batch{std::move(queue_), std::move(endpoint_queue_), std::move(interface_queue_)});
  queue_ = writer_->take_spare();  // a written batch's memory, already faulted in
  queue_.clear();
  queue_.reserve(kFlushAt);
  endpoint_queue_.clear();
  interface_queue_.clear();
}

void Collector::on_udp(int fd, double now) {
  std::vector<uint8_t>& buf = rx_buf_;
  if (buf.empty()) buf.resize(kBatch * kMaxDatagram);
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_storage from[kBatch];
  // The local address each datagram was sent to (DTLS replies go from it).
  // The local address each datagram was sent to, and the socket's drop count (SO_RXQ_OVFL).
  alignas(cmsghdr) char ctrl[kBatch][CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
  for (int rounds = 0; rounds < 16; ++rounds) {  // then main's channel gets its turn
    for (size_t i = 0; i < kBatch; ++i) {
      iov[i] = {buf.data() + i * kMaxDatagram, kMaxDatagram};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
    int n = ::recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    note_kernel_drops(fd, msgs[n - 1].msg_hdr);
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;  // not IPFIX over UDP (max 65535)
      std::span<const uint8_t> d{buf.data() + i * kMaxDatagram, msgs[i].msg_len};
      if (dtls_) {
        UdpPeer peer{fd, from[i], msgs[i].msg_hdr.msg_namelen, local_address(msgs[i].msg_hdr)};
        dtls_->on_datagram(peer, d, now, [&](std::span<const uint8_t> ipfix, const sockaddr_storage& sender) {
          on_datagram(ipfix, sender, now);
        });
      } else {
        on_datagram(d, from[i], now);
      }
    }
    if (static_cast<size_t>(n) < kBatch) return;
  }
}

// SO_RXQ_OVFL (main sets it on the sockets): a datagram carries how many the kernel had dropped
// on its socket (receive buffer full) when it was queued, so drops show with the next datagram
// queued after them.
void Collector::note_kernel_drops(int fd, msghdr& mh) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
    uint32_t dropped = 0;
    std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
    uint32_t& last = kernel_drops_[fd];
    if (dropped > last) {  // the counter only grows (it wraps after 2^32)
      c_.datagrams_dropped_kernel += dropped - last;
      last = dropped;
    }
  }
}

int Collector::run() {
  ipc::CollectorToMain ready;
  ready.set_ready(true);
  if (!main_.send(ready)) return 1;
  for (;;) {
    double now = now_s();
    int timeout = queue_.empty() ? (dtls_ ? 250 : 1000) : static_cast<int>(kFlushAfter * 1000);
    pollfd p[4] = {{main_.raw_fd(), POLLIN, 0}};
    size_t np = 1;
    for (const UniqueFd& u : udp_)
      if (np < std::size(p)) p[np++] = {u.get(), POLLIN, 0};
    int n = ::poll(p, np, timeout);
    now = now_s();
    if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !on_main()) {
      flush();
      return 0;  // the writer writes what is queued as it ends
    }
    for (size_t i = 1; n > 0 && i < np; ++i)
      if (p[i].revents & POLLIN) on_udp(p[i].fd, now);
    if (dtls_) dtls_->tick(now);
    if (!queue_.empty() && now - first_queued_ >= kFlushAfter) flush();
    if (!endpoint_queue_.empty() || !interface_queue_.empty()) flush();
    if (now >= next_housekeeping_) housekeeping(now);
  }
}

bool Collector::on_main() {
  for (int i = 0; i < 64; ++i) {
    auto m = main_.recv<ipc::MainToCollector>(true);
    if (!m.ok()) return m.error() == Errc::Timeout;
    switch (m->first.msg_case()) {
      case ipc::MainToCollector::kSession:
        on_session(m->first.session());
        break;
      case ipc::MainToCollector::kQuery:
        flush();  // a query sees every flow received before it
        on_query(m->first.query());
        break;
      case ipc::MainToCollector::kStartup:
      case ipc::MainToCollector::MSG_NOT_SET:
        log_.warn("unexpected message from main");
        break;
    }
  }
  return true;
}

void Collector::on_session(const ipc::CollectorSession& s) {
  if (!s.up()) {
    sessions_.down(s.tunnel_id(), s.at_ms());
    return;
  }
  Holder h{s.tunnel_id(), s.user(), s.group(), s.session(), s.protocol(), s.at_ms(), 0};
  sessions_.up(h, parse_ip(s.ipv4()).value_or(IpAddr{}), parse_ip(s.ipv6()).value_or(IpAddr{}));
}

void Collector::housekeeping(double now) {
  next_housekeeping_ = now + kHousekeeping;
  decoder_.expire(now);
  auto now_ms = static_cast<int64_t>(now * 1000);
  sessions_.prune(now_ms);
  if (st_.retention_days() == 0 && st_.retention_bytes() == 0) return;
  int64_t before = st_.retention_days() ? now_ms - static_cast<int64_t>(st_.retention_days()) * 86400000 : 0;
  uint64_t max_bytes = st_.retention_bytes();
  writer_->run([this, before, max_bytes](FlowStore& store) {
    if (auto r = store.expire(before, max_bytes); r) {
      rows_expired_ += *r;
      if (*r) log_.info("retention: ", *r, " flows deleted");
    } else {
      log_.error("retention failed: ", store.last_error());
    }
  });
}

}  // namespace sslvpn::nvm
