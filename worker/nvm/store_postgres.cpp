// The PostgreSQL flow store (nvm-store = postgresql:CONNINFO): several gateways write one
// database, each row naming its gateway. A batch is one transaction: the flows go in with COPY
// (text format, the columns of store_columns.cpp), endpoints and interfaces with upserts. A
// broken connection is re-established on the next batch, inside the sandbox, which opens no
// files: so with the options the first connection used (the password read from .pgpass
// included) and the address its host name resolved to (no /etc/hosts or resolver look-up; the
// name is still what TLS verifies).
#include <libpq-fe.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "worker/nvm/store.hpp"
#include "worker/nvm/store_columns.hpp"

namespace sslvpn::nvm {
namespace {

struct ConnClose {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ResultClear {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnClose>;
using Res = std::unique_ptr<PGresult, ResultClear>;

// COPY's text format: backslash, tab, newline and carriage return escaped; NULL is \N.
void copy_field(std::string& out, const std::optional<std::string>& v) {
  if (!v) {
    out += "\\N";
    return;
  }
  for (char c : *v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

std::string pg_type(const Column& c) {
  switch (column_type(c)) {
    case ColumnType::Integer:
      return "BIGINT";
    case ColumnType::Address:
      return "INET";
    case ColumnType::Text:
      return "TEXT";
  }
  return "TEXT";
}

// What a new connection needs without opening a file: the options `c` was made with, as
// libpq resolved them, and `hostaddr` pinned to the address it reached (one host named, over
// TCP). Pairs with an empty value are left out.
std::vector<std::pair<std::string, std::string>> reconnect_options(PGconn* c) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconninfo(c), PQconninfoFree);
  if (!opts) return out;
  const char* addr = PQhostaddr(c);
  const char* host = PQhost(c);
  bool pin = addr && *addr && host && *host != '/' && !std::strchr(host, ',');
  for (const PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (pin && std::strcmp(o->keyword, "hostaddr") == 0) continue;
    out.emplace_back(o->keyword, o->val);
  }
  if (pin) out.emplace_back("hostaddr", addr);
  return out;
}

class PostgresStore final : public FlowStore {
 public:
  PostgresStore(Conn c, std::string gateway)
      : c_(std::move(c)), gateway_(std::move(gateway)), reconnect_(reconnect_options(c_.get())) {}

  Result<void> init() {
    (void)exec("SET client_min_messages TO warning");  // no NOTICE for what exists already
    std::string create = "CREATE TABLE IF NOT EXISTS flows(id BIGSERIAL PRIMARY KEY";
    for (const Column& c : flow_columns()) create += std::string(",") + c.name + " " + pg_type(c);
    create += ");";
    for (const Column& c : flow_columns())  // a store an older sslvpnd made gets the new columns
      create += std::string("ALTER TABLE flows ADD COLUMN IF NOT EXISTS ") + c.name + " " + pg_type(c) + ";";
    create +=
        "CREATE INDEX IF NOT EXISTS flows_end ON flows(end_ms);"
        "CREATE INDEX IF NOT EXISTS flows_user ON flows(vpn_user, end_ms);"
        "CREATE INDEX IF NOT EXISTS flows_dst ON flows(dst);"
        "CREATE TABLE IF NOT EXISTS endpoints(udid TEXT PRIMARY KEY, hostname TEXT, username TEXT, os_name "
        "TEXT,"
        " os_version TEXT, os_edition TEXT, agent_version TEXT, manufacturer TEXT, system_type TEXT,"
        " exporter TEXT, extra TEXT, gateway TEXT, first_seen BIGINT, last_seen BIGINT);"
        "CREATE TABLE IF NOT EXISTS interfaces(udid TEXT, interface_uid TEXT, idx TEXT, name TEXT, details "
        "TEXT,"
        " mac TEXT, type TEXT, exporter TEXT, extra TEXT, gateway TEXT, last_seen BIGINT,"
        " PRIMARY KEY(udid, interface_uid));"
        "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BYTEA);";
    // Several gateways may start at once: the schema is made under an advisory lock.
    if (!exec("SELECT pg_advisory_lock(727001)") || !exec(create.c_str())) {
      (void)exec("SELECT pg_advisory_unlock(727001)");
      return Errc::Io;
    }
    (void)exec("SELECT pg_advisory_unlock(727001)");
    return {};
  }

  Result<void> write(std::span<const FlowRecord> flows, std::span<const EndpointRecord> endpoints,
                     std::span<const InterfaceRecord> interfaces) override {
    if (!connected()) return Errc::Io;
    error_.clear();
    if (!exec("BEGIN")) return fail();
    if (!flows.empty() && !copy_flows(flows)) return fail();
    std::string now = std::to_string(time(nullptr));
    for (const EndpointRecord& e : endpoints) {
      const char* v[] = {e.udid.c_str(),
                         e.hostname.c_str(),
                         e.user.c_str(),
                         e.os_name.c_str(),
                         e.os_version.c_str(),
                         e.os_edition.c_str(),
                         e.agent_version.c_str(),
                         e.manufacturer.c_str(),
                         e.system_type.c_str(),
                         e.exporter.c_str(),
                         e.extra.c_str(),
                         gateway_.c_str(),
                         now.c_str()};
      if (!params(
              "INSERT INTO endpoints VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13) ON "
              "CONFLICT(udid) DO "
              "UPDATE SET hostname=$2,username=$3,os_name=$4,os_version=$5,os_edition=$6,agent_version=$7,"
              "manufacturer=$8,system_type=$9,exporter=$10,extra=$11,gateway=$12,last_seen=$13",
              v, 13))
        return fail();
    }
    for (const InterfaceRecord& r : interfaces) {
      const char* v[] = {r.udid.c_str(),    r.interface_uid.c_str(), r.index.c_str(), r.name.c_str(),
                         r.details.c_str(), r.mac.c_str(),           r.type.c_str(),  r.exporter.c_str(),
                         r.extra.c_str(),   gateway_.c_str(),        now.c_str()};
      if (!params(
              "INSERT INTO interfaces VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT(udid, "
              "interface_uid) DO UPDATE SET idx=$3,name=$4,details=$5,mac=$6,type=$7,exporter=$8,extra=$9,"
              "gateway=$10,last_seen=$11",
              v, 11))
        return fail();
    }
    if (!exec("COMMIT")) return fail();
    return {};
  }

  Result<uint64_t> expire(int64_t before_ms, uint64_t max_bytes) override {
    if (!connected()) return Errc::Io;
    // This gateway's rows only: each gateway applies its own retention.
    std::string b = std::to_string(before_ms);
    const char* v[] = {b.c_str(), gateway_.c_str()};
    Res r = run("DELETE FROM flows WHERE end_ms < $1 AND gateway = $2", v, 2);
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Errc::Io;
    uint64_t deleted = std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
    for (int round = 0; max_bytes > 0 && round < 10; ++round) {
      auto st = stats();
      if (!st || st->bytes <= max_bytes || st->flows == 0) break;
      std::string n = std::to_string(st->flows / 10 + 1);
      const char* w[] = {n.c_str(), gateway_.c_str()};
      Res cut = run(
          "DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE gateway = $2 ORDER BY end_ms LIMIT $1)",
          w, 2);
      if (!cut || PQresultStatus(cut.get()) != PGRES_COMMAND_OK) return Errc::Io;
      deleted += std::strtoull(PQcmdTuples(cut.get()), nullptr, 10);
    }
    return deleted;
  }

  Result<std::vector<FlowRecord>> query(const FlowQuery& q) override {
    if (!connected()) return Errc::Io;
    std::string sql = "SELECT " + column_list() + " FROM flows WHERE true";
    std::vector<std::string> args;
    auto cond = [&](const std::string& v, const char* column) {
      if (v.empty()) return;
      args.push_back(v);
      sql += std::string(" AND ") + column + " = $" + std::to_string(args.size());
    };
    cond(q.user, "vpn_user");
    cond(q.session, "vpn_session");
    cond(q.process, "process");
    cond(q.exporter, "exporter");
    if (auto a = parse_ip(q.dest)) {  // an address: flows_dst finds it
      args.push_back(a->to_string());
      sql += " AND dst = $" + std::to_string(args.size()) + "::inet";
    } else if (!q.dest.empty()) {
      args.push_back(q.dest);
      sql += " AND dest_hostname LIKE '%' || $" + std::to_string(args.size()) + " || '%'";
    }
    if (q.since_ms) sql += " AND end_ms >= " + std::to_string(q.since_ms);
    if (q.until_ms) sql += " AND end_ms <= " + std::to_string(q.until_ms);
    sql += " ORDER BY end_ms DESC, id DESC LIMIT " + std::to_string(q.limit);
    std::vector<const char*> v;
    for (const auto& a : args) v.push_back(a.c_str());
    Res r = run(sql.c_str(), v.data(), static_cast<int>(v.size()));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) return Errc::Io;
    std::vector<FlowRecord> out;
    auto cols = flow_columns();
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      FlowRecord& f = out.emplace_back();
      for (size_t i = 0; i < cols.size(); ++i) {
        int col = static_cast<int>(i);
        if (PQgetisnull(r.get(), row, col))
          set_column(f, cols[i], std::nullopt);
        else
          set_column(f, cols[i],
                     std::string_view(PQgetvalue(r.get(), row, col), PQgetlength(r.get(), row, col)));
      }
    }
    return out;
  }

  Result<StoreStats> stats() override {
    if (!connected()) return Errc::Io;
    // The planner's estimate for a large table: count(*) over millions of rows takes seconds.
    Res r =
        run("SELECT CASE WHEN e < 100000 THEN (SELECT count(*) FROM flows) ELSE e END,"
            " pg_total_relation_size('flows'), (SELECT min(end_ms) FROM flows)"
            " FROM (SELECT GREATEST(reltuples, 0)::BIGINT AS e FROM pg_class WHERE relname = 'flows') t",
            nullptr, 0);
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) return Errc::Io;
    StoreStats st;
    st.flows = std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10);
    st.bytes = std::strtoull(PQgetvalue(r.get(), 0, 1), nullptr, 10);
    st.oldest_ms = std::strtoll(PQgetvalue(r.get(), 0, 2), nullptr, 10);
    return st;
  }

  Result<std::array<uint8_t, 32>> pseudonym_key() override {
    if (!connected()) return Errc::Io;
    // The first gateway's random key; every other gateway reads that one, so pseudonyms agree.
    std::array<uint8_t, 32> mine{};
    if (gnutls_rnd(GNUTLS_RND_KEY, mine.data(), mine.size()) != 0) return Errc::Crypto;
    const char* v[] = {reinterpret_cast<const char*>(mine.data())};
    int lengths[] = {static_cast<int>(mine.size())};
    int formats[] = {1};
    Res ins(PQexecParams(c_.get(), "INSERT INTO meta VALUES('pseudonym_key', $1) ON CONFLICT DO NOTHING", 1,
                         nullptr, v, lengths, formats, 0));
    Res r(PQexecParams(c_.get(), "SELECT value FROM meta WHERE name = 'pseudonym_key'", 0, nullptr, nullptr,
                       nullptr, nullptr, 1));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
        PQgetlength(r.get(), 0, 0) != 32)
      return Errc::NotFound;
    std::array<uint8_t, 32> key;
    std::memcpy(key.data(), PQgetvalue(r.get(), 0, 0), key.size());
    return key;
  }

  std::string last_error() const override { return error_.empty() ? PQerrorMessage(c_.get()) : error_; }
  const char* kind() const override { return "postgresql"; }

 private:
  // A lost connection is tried again (once per call).
  bool connected() {
    if (PQstatus(c_.get()) == CONNECTION_OK) return true;
    if (reconnect_.empty()) {
      PQreset(c_.get());
    } else {
      std::vector<const char*> keys, values;
      for (const auto& [k, v] : reconnect_) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
      }
      keys.push_back(nullptr);
      values.push_back(nullptr);
      Conn fresh(PQconnectdbParams(keys.data(), values.data(), 0));
      if (!fresh) return false;
      c_ = std::move(fresh);  // failed or not: its error is the one to show
    }
    return PQstatus(c_.get()) == CONNECTION_OK;
  }
  bool exec(const char* sql) {
    Res r(PQexec(c_.get(), sql));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  }
  Res run(const char* sql, const char* const* values, int n) {
    return Res(PQexecParams(c_.get(), sql, n, nullptr, values, nullptr, nullptr, 0));
  }
  bool params(const char* sql, const char* const* values, int n) {
    Res r = run(sql, values, n);
    return r && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
  }
  bool copy_flows(std::span<const FlowRecord> flows) {
    std::string sql = "COPY flows(" + column_list() + ") FROM STDIN";
    Res r(PQexec(c_.get(), sql.c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) return false;
    std::string buf;
    for (const FlowRecord& f : flows) {
      bool first = true;
      for (const Column& c : flow_columns()) {
        if (!first) buf += '\t';
        first = false;
        copy_field(buf, column_text(f, c));
      }
      buf += '\n';
      if (buf.size() > (1u << 20)) {
        if (PQputCopyData(c_.get(), buf.data(), static_cast<int>(buf.size())) != 1) return false;
        buf.clear();
      }
    }
    if (!buf.empty() && PQputCopyData(c_.get(), buf.data(), static_cast<int>(buf.size())) != 1) return false;
    if (PQputCopyEnd(c_.get(), nullptr) != 1) return false;
    bool ok = true;
    while (PGresult* res = PQgetResult(c_.get())) {
      ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
    }
    return ok;
  }
  Errc fail() {
    error_ = PQerrorMessage(c_.get());
    (void)exec("ROLLBACK");
    return Errc::Io;
  }

  Conn c_;
  std::string gateway_;
  std::string error_;
  std::vector<std::pair<std::string, std::string>> reconnect_;  // reconnect_options() of the first
};

}  // namespace

Result<std::unique_ptr<FlowStore>> open_postgres_store(const std::string& conninfo,
                                                       const std::string& gateway, std::string* error) {
  // A store that does not answer must not hold the collector for ever (libpq's default).
  std::string info = conninfo;
  bool uri = info.rfind("postgresql://", 0) == 0 || info.rfind("postgres://", 0) == 0;
  if (info.find("connect_timeout") == std::string::npos)
    info += uri ? (info.find('?') == std::string::npos ? "?connect_timeout=5" : "&connect_timeout=5")
                : " connect_timeout=5";
  Conn c(PQconnectdb(info.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    *error = std::string("cannot connect: ") + (c ? PQerrorMessage(c.get()) : "out of memory");
    return Errc::Io;
  }
  auto store = std::make_unique<PostgresStore>(std::move(c), gateway);
  if (!store->init()) {
    *error = "cannot set up the flows table: " + store->last_error();
    return Errc::Io;
  }
  return std::unique_ptr<FlowStore>(std::move(store));
}

}  // namespace sslvpn::nvm
