// The NVM collector's process loop (sslvpnd-collector): IPFIX datagrams from the UDP socket
// main bound, decoded (ipfix.cpp), mapped (flow.cpp), attributed to the VPN session that held
// the address (attribution.cpp), filtered by the privacy options, and written to the store in
// batches. main's channel brings tunnel ups and downs and queries (show flows, show collector).
//
// Nothing decoded is lost silently: a full queue and a failing store are counted (show
// collector) and logged, at most once per minute each. The store is written on a thread of its
// own (store_writer.cpp): this loop never waits for the disk or the database.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip_addr.hpp"
#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "worker/nvm/attribution.hpp"
#include "worker/nvm/dtls_exporters.hpp"
#include "worker/nvm/ipfix.hpp"
#include "worker/nvm/privacy.hpp"
#include "worker/nvm/store.hpp"
#include "worker/nvm/store_writer.hpp"

namespace sslvpn::nvm {

struct CollectorCounters {
  uint64_t flows_attributed = 0, flows_unattributed = 0;
  uint64_t flows_dropped_unattributed = 0, flows_dropped_private = 0;
  uint64_t strings_truncated = 0;
  uint64_t endpoints = 0, interfaces = 0, datagrams_refused = 0;
  uint64_t datagrams_dropped_kernel = 0;  // SO_RXQ_OVFL: the sum over the sockets
};

class Collector {
 public:
  // `dtls`: set when nvm-dtls is on; then every datagram is DTLS and plain IPFIX is refused.
  // `writer` runs already (started before the sandbox); `pseudonym_key` is the store's.
  Collector(Logger& log, IpcChannel main, std::vector<UniqueFd> udp, const ipc::CollectorStartup& st,
            std::unique_ptr<StoreWriter> writer, const std::array<uint8_t, 32>& pseudonym_key,
            std::unique_ptr<DtlsExporters> dtls = nullptr, std::string gateway = {});
  // Until main closes the channel. The exit code.
  int run();

  // One datagram from `from` (the loop's recvmmsg calls this; tests and benchmarks may too).
  void on_datagram(std::span<const uint8_t> bytes, const sockaddr_storage& from, double now);
  // Hands what is queued to the store's thread.
  void flush();

 private:
  void on_udp(int fd, double now);
  void note_kernel_drops(int fd, msghdr& mh);
  bool on_main();  // false: main is gone
  void on_session(const ipc::CollectorSession& s);
  void on_query(const ipc::CollectorQuery& q);
  void answer_flows(uint64_t token, const ctl::FlowFilter& f);
  void answer_status(uint64_t token);
  void housekeeping(double now);
  void queue_flow(FlowRecord&& f, const IpAddr& exporter, double now);
  void remember_endpoint(const EndpointRecord& e);
  bool exporter_allowed(const IpAddr& a) const;

  Logger& log_;
  IpcChannel main_;
  std::vector<UniqueFd> udp_;
  ipc::CollectorStartup st_;
  std::unique_ptr<DtlsExporters> dtls_;
  std::string gateway_;  // stamped on every flow (a shared store), or empty
  PrivacyOptions privacy_;
  std::vector<IpNet> allowed_;
  IpfixDecoder decoder_;
  SessionDirectory sessions_;
  MapOptions map_opt_;
  CollectorCounters c_;
  std::map<int, uint32_t> kernel_drops_;  // per socket: the last SO_RXQ_OVFL count
  std::vector<FlowRecord> queue_;
  std::vector<EndpointRecord> endpoint_queue_;
  std::vector<InterfaceRecord> interface_queue_;
  // What each endpoint said about itself last (NVM's identity record), joined into its flows.
  std::unordered_map<std::string, EndpointRecord> endpoints_;
  std::unordered_map<std::string, std::string> interface_names_;  // "udid|uid" -> name
  std::unordered_map<std::string, int64_t> sys_init_;             // "exporter|domain" -> its boot time (ms)
  double first_queued_ = 0;
  double next_housekeeping_ = 0;
  std::atomic<uint64_t> rows_expired_{0};  // counted by the store's thread
  std::vector<uint8_t> rx_buf_;            // recvmmsg's buffers
  // Last: it ends (writing what is queued) while everything its jobs use still exists.
  std::unique_ptr<StoreWriter> writer_;
};

}  // namespace sslvpn::nvm
