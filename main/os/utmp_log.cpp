#include "main/os/utmp_log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <paths.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr off_t kRecord = sizeof(utmpx);
// utmp lists who is logged in now: a few records a session. A file this large is not one.
constexpr off_t kMaxScan = off_t{64} << 20;

template <size_t N>
void put_field(char (&field)[N], const std::string& value) {
  std::memcpy(field, value.data(), std::min(N, value.size()));  // NUL-padded, not terminated when full
}

utmpx make_record(short type, const std::string& line, pid_t pid, int64_t now_us) {
  utmpx r;
  std::memset(&r, 0, sizeof r);
  r.ut_type = type;
  r.ut_pid = pid;
  put_field(r.ut_line, line);
  // As login(1) does with a tty: the line's last four characters are its id.
  std::string id = line.size() > sizeof r.ut_id ? line.substr(line.size() - sizeof r.ut_id) : line;
  put_field(r.ut_id, id);
  r.ut_tv.tv_sec = static_cast<decltype(r.ut_tv.tv_sec)>(now_us / 1000000);
  r.ut_tv.tv_usec = static_cast<decltype(r.ut_tv.tv_usec)>(now_us % 1000000);
  return r;
}

bool login_type(short t) {
  return t == INIT_PROCESS || t == LOGIN_PROCESS || t == USER_PROCESS || t == DEAD_PROCESS;
}

// glibc's rule for the record pututxline() replaces.
bool same_slot(const utmpx& a, const utmpx& b) {
  if (!login_type(a.ut_type) || !login_type(b.ut_type)) return false;
  if (a.ut_id[0] != 0 && b.ut_id[0] != 0) return std::strncmp(a.ut_id, b.ut_id, sizeof a.ut_id) == 0;
  return std::strncmp(a.ut_line, b.ut_line, sizeof a.ut_line) == 0;
}

// The file's write lock when it is free now; main never waits for one held elsewhere (a
// record written without it is one pwrite of a whole record).
class TryLock {
 public:
  explicit TryLock(int fd) : fd_(fd) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    held_ = fcntl(fd_, F_SETLK, &fl) == 0;
  }
  ~TryLock() {
    if (!held_) return;
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    (void)fcntl(fd_, F_SETLK, &fl);
  }
  TryLock(const TryLock&) = delete;
  TryLock& operator=(const TryLock&) = delete;

 private:
  int fd_;
  bool held_ = false;
};

bool write_at(int fd, const utmpx& r, off_t at) {
  ssize_t n = pwrite(fd, &r, sizeof r, at);
  if (n == static_cast<ssize_t>(sizeof r)) return true;
  if (n >= 0) errno = EIO;
  return false;
}

// The first record at or after 0 that is `r`'s slot; -1 if none. `size` is the file's.
off_t find_slot(int fd, const utmpx& r, off_t size) {
  size = std::min(size - size % kRecord, kMaxScan);
  std::vector<utmpx> records(static_cast<size_t>(size / kRecord));
  ssize_t n = records.empty() ? 0 : pread(fd, records.data(), static_cast<size_t>(size), 0);
  if (n <= 0) return -1;
  size_t whole = static_cast<size_t>(n) / sizeof(utmpx);
  for (size_t i = 0; i < whole; ++i)
    if (same_slot(records[i], r)) return static_cast<off_t>(i) * kRecord;
  return -1;
}

bool is_our_device(const utmpx& r, const std::vector<std::string>& prefixes) {
  std::string line(r.ut_line, strnlen(r.ut_line, sizeof r.ut_line));
  for (const auto& p : prefixes) {
    if (p.empty() || line.size() <= p.size() || line.compare(0, p.size(), p) != 0) continue;
    if (std::all_of(line.begin() + static_cast<std::ptrdiff_t>(p.size()), line.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
      return true;
  }
  return false;
}

bool process_gone(pid_t pid) {
  return pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH);
}

}  // namespace

UtmpLog::UtmpLog() : UtmpLog(_PATH_UTMP, _PATH_WTMP) {}

UtmpLog::UtmpLog(std::string utmp_path, std::string wtmp_path)
    : utmp_path_(std::move(utmp_path)), wtmp_path_(std::move(wtmp_path)) {}

bool UtmpLog::login(const UtmpLogin& who, int64_t now_us) {
  utmpx r = make_record(USER_PROCESS, who.line, who.pid, now_us);
  put_field(r.ut_user, who.user);
  put_field(r.ut_host, who.host);
  in6_addr a6{};
  in_addr a4{};
  if (inet_pton(AF_INET6, who.host.c_str(), &a6) == 1)
    std::memcpy(r.ut_addr_v6, &a6, sizeof a6);
  else if (inet_pton(AF_INET, who.host.c_str(), &a4) == 1)
    std::memcpy(r.ut_addr_v6, &a4, sizeof a4);
  bool in_utmp = put_utmp(r, who.line, true);
  int utmp_errno = errno;
  bool in_wtmp = append_wtmp(r);
  if (!in_utmp) errno = utmp_errno;
  return in_utmp && in_wtmp;
}

bool UtmpLog::logout(const std::string& line, pid_t pid, int64_t now_us) {
  // login(3)'s logout(): the record becomes DEAD_PROCESS without a user or host.
  utmpx r = make_record(DEAD_PROCESS, line, pid, now_us);
  bool in_utmp = put_utmp(r, line, false);
  int utmp_errno = errno;
  bool in_wtmp = append_wtmp(r);
  if (!in_utmp) errno = utmp_errno;
  return in_utmp && in_wtmp;
}

bool UtmpLog::put_utmp(const utmpx& r, const std::string& line, bool append_if_missing) {
  UniqueFd fd(open(utmp_path_.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT;  // a system without utmp
  TryLock lock(fd.get());
  off_t slot = -1;
  if (auto it = slots_.find(line); it != slots_.end()) {
    utmpx there;
    if (pread(fd.get(), &there, sizeof there, it->second) == static_cast<ssize_t>(sizeof there) &&
        same_slot(there, r))
      slot = it->second;
  }
  struct stat st {};
  if (slot < 0) {
    if (fstat(fd.get(), &st) != 0) return false;
    slot = find_slot(fd.get(), r, st.st_size);
  }
  if (slot < 0) {
    if (!append_if_missing) return true;  // nothing to end
    slot = st.st_size - st.st_size % kRecord;
  }
  if (!write_at(fd.get(), r, slot)) return false;
  slots_[line] = slot;
  return true;
}

bool UtmpLog::append_wtmp(const utmpx& r) {
  UniqueFd fd(open(wtmp_path_.c_str(), O_WRONLY | O_CLOEXEC));  // as updwtmp: never created here
  if (!fd.valid()) return errno == ENOENT;  // a system without wtmp (e.g. one with wtmpdb)
  TryLock lock(fd.get());
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return false;
  // A torn record at the end (a writer that died) is overwritten, as glibc truncates it.
  return write_at(fd.get(), r, st.st_size - st.st_size % kRecord);
}

size_t UtmpLog::end_stale(const std::vector<std::string>& prefixes, int64_t now_us) {
  UniqueFd fd(open(utmp_path_.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return 0;
  std::vector<utmpx> stale;
  {
    TryLock lock(fd.get());
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return 0;
    off_t size = std::min(st.st_size - st.st_size % kRecord, kMaxScan);
    std::vector<utmpx> records(static_cast<size_t>(size / kRecord));
    ssize_t n = records.empty() ? 0 : pread(fd.get(), records.data(), static_cast<size_t>(size), 0);
    size_t whole = n > 0 ? static_cast<size_t>(n) / sizeof(utmpx) : 0;
    for (size_t i = 0; i < whole; ++i) {
      const utmpx& r = records[i];
      if (r.ut_type != USER_PROCESS || !is_our_device(r, prefixes) || !process_gone(r.ut_pid)) continue;
      std::string line(r.ut_line, strnlen(r.ut_line, sizeof r.ut_line));
      utmpx dead = make_record(DEAD_PROCESS, line, r.ut_pid, now_us);
      std::memcpy(dead.ut_id, r.ut_id, sizeof dead.ut_id);  // the slot stays the one it was
      if (write_at(fd.get(), dead, static_cast<off_t>(i) * kRecord)) stale.push_back(dead);
    }
  }
  for (const auto& d : stale) (void)append_wtmp(d);
  return stale.size();
}

}  // namespace sslvpn::mainproc
