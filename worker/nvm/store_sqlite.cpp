// The SQLite flow store: one file, WAL journal, one transaction per batch, prepared statements
// kept for the life of the store. The columns are store_columns.cpp's.
#include <sqlite3.h>

#include <sys/socket.h>

#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>
#include <variant>

#include "worker/nvm/store.hpp"
#include "worker/nvm/store_columns.hpp"

namespace sslvpn::nvm {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Integers bind as integers; text and addresses as text, or NULL when empty.
// Strings are bound where they are (the record outlives the statement's step): no copy.
// Addresses are formatted into `scratch`, which must stay until the step (one per column).
using AddressText = std::array<char, IpAddr::kMaxText>;
void bind(sqlite3_stmt* s, int i, const FlowRecord& f, const Column& c, AddressText& scratch) {
  if (auto* text = std::get_if<std::string FlowRecord::*>(&c.m)) {
    const std::string& v = f.**text;
    if (v.empty())
      sqlite3_bind_null(s, i);
    else
      sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return;
  }
  if (auto* addr = std::get_if<IpAddr FlowRecord::*>(&c.m)) {
    size_t n = (f.**addr).to_chars(scratch);
    if (n == 0)
      sqlite3_bind_null(s, i);
    else
      sqlite3_bind_text(s, i, scratch.data(), static_cast<int>(n), SQLITE_STATIC);
    return;
  }
  sqlite3_bind_int64(s, i, column_int(f, c));
}

void read_column(sqlite3_stmt* s, int i, FlowRecord& f, const Column& c) {
  const unsigned char* t = sqlite3_column_text(s, i);
  if (!t)
    set_column(f, c, std::nullopt);
  else
    set_column(f, c, std::string_view(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s, i)));
}

const char* const kIndexes =
    "CREATE INDEX IF NOT EXISTS flows_end ON flows(end_ms);"
    "CREATE INDEX IF NOT EXISTS flows_user ON flows(vpn_user, end_ms);";
// The destination index (nvm-store-dst-index, on by default): show flows dest ADDRESS uses it.
// Its keys land all over the index, so it costs about a third of every insert; a store that
// takes more than about 100k flows/s on a small machine may do without it.
const char* const kDstIndex = "CREATE INDEX IF NOT EXISTS flows_dst ON flows(dst);";
const char* const kNoDstIndex = "DROP INDEX IF EXISTS flows_dst;";

class SqliteStore final : public FlowStore {
 public:
  SqliteStore(Db db, bool dst_index) : db_(std::move(db)), dst_index_(dst_index) {}

  Result<void> init() {
    std::string create = "CREATE TABLE IF NOT EXISTS flows(id INTEGER PRIMARY KEY";
    for (const Column& c : flow_columns())
      create += std::string(",") + c.name + (column_type(c) == ColumnType::Integer ? " INTEGER" : " TEXT");
    create += ");";
    const std::string schema =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
        "PRAGMA journal_size_limit=67108864;"
        // Each batch touches a leaf of the user index per user: those pages stay in memory (a
        // 2 MB default cache re-reads and re-writes them each batch), the file is read through
        // a mapping (no copy per page), and the WAL is folded back into the file every 32 MB
        // instead of every 4.
        "PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824; PRAGMA wal_autocheckpoint=32768;" +
        create +
        "CREATE TABLE IF NOT EXISTS endpoints(udid TEXT PRIMARY KEY, hostname TEXT, user TEXT, os_name TEXT,"
        " os_version TEXT, os_edition TEXT, agent_version TEXT, manufacturer TEXT, system_type TEXT,"
        " exporter TEXT, extra TEXT, first_seen INTEGER, last_seen INTEGER);"
        "CREATE TABLE IF NOT EXISTS interfaces(udid TEXT, interface_uid TEXT, idx INTEGER, name TEXT,"
        " details TEXT, mac TEXT, type TEXT, exporter TEXT, extra TEXT, last_seen INTEGER,"
        " PRIMARY KEY(udid, interface_uid));"
        "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BLOB);"
        "INSERT OR IGNORE INTO meta VALUES('pseudonym_key', randomblob(32));";  // opens the WAL now  // a
                                                                                // first write opens the WAL
                                                                                // now, before the sandbox
    if (!exec(schema.c_str())) return Errc::Io;
    if (!add_missing_columns()) return Errc::Io;  // before the indexes: a store of an earlier version
    if (!exec(kIndexes) || !exec(dst_index_ ? kDstIndex : kNoDstIndex)) return Errc::Io;
    std::string ins = "INSERT INTO flows(" + column_list() + ") VALUES(";
    for (size_t i = 0; i < flow_columns().size(); ++i) ins += i ? ",?" : "?";
    ins += ")";
    if (!prepare(ins.c_str(), insert_)) return Errc::Io;
    if (!prepare("INSERT INTO endpoints VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?12)"
                 " ON CONFLICT(udid) DO UPDATE SET hostname=?2,user=?3,os_name=?4,os_version=?5,"
                 "os_edition=?6,agent_version=?7,manufacturer=?8,system_type=?9,exporter=?10,extra=?11,"
                 "last_seen=?12",
                 endpoint_))
      return Errc::Io;
    if (!prepare("INSERT OR REPLACE INTO interfaces VALUES(?,?,?,?,?,?,?,?,?,?)", interface_))
      return Errc::Io;
    return {};
  }

  Result<void> write(std::span<const FlowRecord> flows, std::span<const EndpointRecord> endpoints,
                     std::span<const InterfaceRecord> interfaces) override {
    error_.clear();
    if (!exec("BEGIN")) return Errc::Io;
    std::vector<AddressText> scratch(flow_columns().size());
    for (const FlowRecord& f : flows) {
      sqlite3_reset(insert_.get());
      int i = 1;
      for (const Column& c : flow_columns()) {
        bind(insert_.get(), i, f, c, scratch[static_cast<size_t>(i - 1)]);
        ++i;
      }
      if (sqlite3_step(insert_.get()) != SQLITE_DONE) return fail();
    }
    int64_t now = static_cast<int64_t>(time(nullptr));
    for (const EndpointRecord& e : endpoints) {
      sqlite3_stmt* s = endpoint_.get();
      sqlite3_reset(s);
      const std::string* v[] = {&e.udid,        &e.hostname,   &e.user,          &e.os_name,
                                &e.os_version,  &e.os_edition, &e.agent_version, &e.manufacturer,
                                &e.system_type, &e.exporter,   &e.extra};
      for (int i = 0; i < 11; ++i)
        sqlite3_bind_text(s, i + 1, v[i]->data(), static_cast<int>(v[i]->size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 12, now);
      if (sqlite3_step(s) != SQLITE_DONE) return fail();
    }
    for (const InterfaceRecord& r : interfaces) {
      sqlite3_stmt* s = interface_.get();
      sqlite3_reset(s);
      const std::string* v[] = {&r.udid, &r.interface_uid};
      for (int i = 0; i < 2; ++i)
        sqlite3_bind_text(s, i + 1, v[i]->data(), static_cast<int>(v[i]->size()), SQLITE_STATIC);
      sqlite3_bind_text(s, 3, r.index.data(), static_cast<int>(r.index.size()), SQLITE_STATIC);
      const std::string* w[] = {&r.name, &r.details, &r.mac, &r.type, &r.exporter, &r.extra};
      for (int i = 0; i < 6; ++i)
        sqlite3_bind_text(s, i + 4, w[i]->data(), static_cast<int>(w[i]->size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 10, now);
      if (sqlite3_step(s) != SQLITE_DONE) return fail();
    }
    if (!exec("COMMIT")) return fail();
    return {};
  }

  Result<uint64_t> expire(int64_t before_ms, uint64_t max_bytes) override {
    uint64_t deleted = 0;
    Stmt del;
    if (!prepare("DELETE FROM flows WHERE end_ms < ?", del)) return Errc::Io;
    sqlite3_bind_int64(del.get(), 1, before_ms);
    if (sqlite3_step(del.get()) != SQLITE_DONE) return Errc::Io;
    deleted += static_cast<uint64_t>(sqlite3_changes(db_.get()));
    // By size: the oldest tenth at a time, until it fits (freed pages are reused, not returned).
    for (int round = 0; max_bytes > 0 && round < 10; ++round) {
      auto st = stats();
      if (!st || st->bytes <= max_bytes || st->flows == 0) break;
      Stmt cut;
      if (!prepare("DELETE FROM flows WHERE id IN (SELECT id FROM flows ORDER BY end_ms LIMIT ?)", cut))
        return Errc::Io;
      sqlite3_bind_int64(cut.get(), 1, static_cast<int64_t>(st->flows / 10 + 1));
      if (sqlite3_step(cut.get()) != SQLITE_DONE) return Errc::Io;
      deleted += static_cast<uint64_t>(sqlite3_changes(db_.get()));
    }
    return deleted;
  }

  Result<std::vector<FlowRecord>> query(const FlowQuery& q) override {
    std::string sql = "SELECT " + column_list() + " FROM flows WHERE 1";
    std::vector<std::string> args;
    auto cond = [&](const std::string& v, const char* clause) {
      if (v.empty()) return;
      sql += clause;
      args.push_back(v);
    };
    cond(q.user, " AND vpn_user = ?");
    cond(q.session, " AND vpn_session = ?");
    cond(q.process, " AND process = ?");
    cond(q.exporter, " AND exporter = ?");
    if (auto a = parse_ip(q.dest)) {  // an address: the destination index finds it
      sql += " AND dst = ?";
      args.push_back(a->to_string());
    } else if (!q.dest.empty()) {
      sql += " AND dest_hostname LIKE ?";
      args.push_back("%" + q.dest + "%");
    }
    if (q.since_ms) sql += " AND end_ms >= " + std::to_string(q.since_ms);
    if (q.until_ms) sql += " AND end_ms <= " + std::to_string(q.until_ms);
    sql += " ORDER BY end_ms DESC, id DESC LIMIT " + std::to_string(q.limit);
    Stmt s;
    if (!prepare(sql.c_str(), s)) return Errc::Io;
    for (size_t i = 0; i < args.size(); ++i)
      sqlite3_bind_text(s.get(), static_cast<int>(i + 1), args[i].data(), static_cast<int>(args[i].size()),
                        SQLITE_STATIC);
    std::vector<FlowRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      FlowRecord& f = out.emplace_back();
      int i = 0;
      for (const Column& c : flow_columns()) read_column(s.get(), i++, f, c);
    }
    if (rc != SQLITE_DONE) return Errc::Io;
    return out;
  }

  Result<StoreStats> stats() override {
    StoreStats st;
    Stmt s;
    if (!prepare("SELECT (SELECT count(*) FROM flows), (SELECT min(end_ms) FROM flows),"
                 " (SELECT page_count - freelist_count FROM pragma_page_count, pragma_freelist_count)"
                 " * (SELECT page_size FROM pragma_page_size)",
                 s))
      return Errc::Io;
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Errc::Io;
    st.flows = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
    st.oldest_ms = sqlite3_column_int64(s.get(), 1);
    st.bytes = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 2));
    return st;
  }

  Result<std::array<uint8_t, 32>> pseudonym_key() override {
    Stmt s;
    if (!prepare("SELECT value FROM meta WHERE name = 'pseudonym_key'", s)) return Errc::Io;
    if (sqlite3_step(s.get()) != SQLITE_ROW || sqlite3_column_bytes(s.get(), 0) != 32) return Errc::NotFound;
    std::array<uint8_t, 32> key;
    std::memcpy(key.data(), sqlite3_column_blob(s.get(), 0), key.size());
    return key;
  }

  std::string last_error() const override { return error_.empty() ? sqlite3_errmsg(db_.get()) : error_; }
  const char* kind() const override { return "sqlite"; }

 private:
  // A store made by an older sslvpnd gets the columns added since (empty for its old rows).
  bool add_missing_columns() {
    Stmt info;
    if (!prepare("SELECT name FROM pragma_table_info('flows')", info)) return false;
    std::set<std::string> have;
    while (sqlite3_step(info.get()) == SQLITE_ROW)
      have.insert(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0)));
    for (const Column& c : flow_columns()) {
      if (have.count(c.name)) continue;
      std::string alter = std::string("ALTER TABLE flows ADD COLUMN ") + c.name +
                          (column_type(c) == ColumnType::Integer ? " INTEGER" : " TEXT");
      if (!exec(alter.c_str())) return false;
    }
    return true;
  }
  bool exec(const char* sql) { return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  bool prepare(const char* sql, Stmt& out) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql, -1, &s, nullptr) != SQLITE_OK) return false;
    out.reset(s);
    return true;
  }
  Errc fail() {
    std::string keep = last_error();
    exec("ROLLBACK");
    error_ = keep;
    return Errc::Io;
  }

  Db db_;
  bool dst_index_;
  Stmt insert_, endpoint_, interface_;
  std::string error_;
};

}  // namespace

Result<std::unique_ptr<FlowStore>> open_sqlite_store(const std::string& path, bool dst_index,
                                                     std::string* error) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory");
    return Errc::Io;
  }
  sqlite3_busy_timeout(raw, 2000);
  auto store = std::make_unique<SqliteStore>(std::move(db), dst_index);
  if (!store->init()) {
    *error = "cannot set up " + path + ": " + store->last_error();
    return Errc::Io;
  }
  return std::unique_ptr<FlowStore>(std::move(store));
}

}  // namespace sslvpn::nvm
