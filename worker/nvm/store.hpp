// Where the collector keeps flows: SQLite (store_sqlite.cpp) by default; the interface lets a
// PostgreSQL sink stand in for it. Every call reports failure; the collector counts what a
// failing store lost and says so in its log and in "show collector".
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "worker/nvm/flow.hpp"

namespace sslvpn::nvm {

struct FlowQuery {
  std::string user;                    // VPN user (exact)
  std::string session;                 // VPN session id (exact)
  int64_t since_ms = 0, until_ms = 0;  // flows that ended in [since, until]; 0: open
  std::string dest;                    // destination address (exact) or host name (substring)
  std::string process;                 // process name (exact)
  std::string exporter;                // exporter address (exact)
  uint32_t limit = 100;
};

struct StoreStats {
  uint64_t flows = 0;  // rows now
  uint64_t bytes = 0;  // size on disk (SQLite: pages in use)
  int64_t oldest_ms = 0;
};

class FlowStore {
 public:
  virtual ~FlowStore() = default;
  virtual Result<void> write(std::span<const FlowRecord> flows, std::span<const EndpointRecord> endpoints,
                             std::span<const InterfaceRecord> interfaces) = 0;
  // Deletes flows that ended before `before_ms`, then the oldest until the store is at most
  // `max_bytes` (0: no size limit). The number of flows deleted.
  virtual Result<uint64_t> expire(int64_t before_ms, uint64_t max_bytes) = 0;
  // Newest first.
  virtual Result<std::vector<FlowRecord>> query(const FlowQuery& q) = 0;
  virtual Result<StoreStats> stats() = 0;
  // A random key made with the store and kept in it: pseudonyms stay the same across restarts.
  virtual Result<std::array<uint8_t, 32>> pseudonym_key() = 0;
  // The last error's text (for the log).
  virtual std::string last_error() const = 0;
  virtual const char* kind() const = 0;
};

// Opens (creating when missing) an SQLite store in WAL mode. Call before the sandbox: the
// database, its WAL and shared-memory files stay open from here on. `dst_index`
// (nvm-store-dst-index): an index on dst, made when missing; without it, one is dropped.
Result<std::unique_ptr<FlowStore>> open_sqlite_store(const std::string& path, bool dst_index,
                                                     std::string* error);

// Connects to PostgreSQL (libpq's CONNINFO) and makes the tables when missing; every row this
// collector writes names `gateway` (the host's name), so that several gateways share one store.
Result<std::unique_ptr<FlowStore>> open_postgres_store(const std::string& conninfo,
                                                       const std::string& gateway, std::string* error);

}  // namespace sslvpn::nvm
