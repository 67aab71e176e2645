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
  // No ut_id: glibc then finds a record's slot by its line, which is unique (a device name is
  // never given to two tunnels at once); four characters of it would not be (vpns1234 and
  // vpns11234).
  put_field(r.ut_line, line);
  r.ut_tv.tv_sec = static_cast<decltype(r.ut_tv.tv_sec)>(now_us / 1000000);
  r.ut_tv.tv_usec = static_cast<decltype(r.ut_tv.tv_usec)>(now_us % 1000000);
  return r;
}

std::string line_of(const utmpx& r) {
  return std::string(r.ut_line, strnlen(r.ut_line, sizeof r.ut_line));
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

bool is_our_device(const utmpx& r, const std::vector<std::string>& prefixes) {
  std::string line = line_of(r);
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

bool UtmpLog::put_utmp(const utmpx& r, const std::string& line, bool login) {
  UniqueFd fd(open(utmp_path_.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT;  // a system without utmp
  TryLock lock(fd.get());
  auto holds = [&](off_t at, short type, pid_t pid) {
    utmpx there;
    return pread(fd.get(), &there, sizeof there, at) == static_cast<ssize_t>(sizeof there) &&
           there.ut_type == type && (type == DEAD_PROCESS || line_of(there) == line) &&
           (pid == 0 || there.ut_pid == pid);
  };
  if (!login) {  // the device's own record, if it is still the tunnel's: it becomes DEAD_PROCESS
    auto it = slots_.find(line);
    if (it == slots_.end()) return true;  // never recorded: nothing to end
    off_t at = it->second;
    slots_.erase(it);
    if (!holds(at, USER_PROCESS, r.ut_pid)) return true;  // someone else's now
    if (!write_at(fd.get(), r, at)) return false;
    free_.push_back(at);
    return true;
  }
  // A slot one of our tunnels left (still a dead record), or a new one at the end.
  off_t slot = -1;
  while (slot < 0 && !free_.empty()) {
    off_t at = free_.back();
    free_.pop_back();
    if (holds(at, DEAD_PROCESS, 0)) slot = at;
  }
  if (slot < 0) {
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return false;
    slot = st.st_size - st.st_size % kRecord;  // past a torn record, as glibc truncates it
  }
  if (!write_at(fd.get(), r, slot)) {
    free_.push_back(slot);
    return false;
  }
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
      off_t at = static_cast<off_t>(i) * kRecord;
      if (!is_our_device(r, prefixes)) continue;
      if (r.ut_type == DEAD_PROCESS) {  // an earlier run's: its slots serve this run's tunnels
        free_.push_back(at);
        continue;
      }
      if (r.ut_type != USER_PROCESS || !process_gone(r.ut_pid)) continue;
      utmpx dead = make_record(DEAD_PROCESS, line_of(r), r.ut_pid, now_us);
      std::memcpy(dead.ut_id, r.ut_id, sizeof dead.ut_id);  // the slot stays the one it was
      if (write_at(fd.get(), dead, at)) {
        stale.push_back(dead);
        free_.push_back(at);
      }
    }
  }
  for (const auto& d : stale) (void)append_wtmp(d);
  return stale.size();
}

}  // namespace sslvpn::mainproc
