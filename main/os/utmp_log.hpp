// use-utmp (ocserv's, on by default): each tunnel is a login in utmp (`who`, `w`) while it is
// up, and a login and a logout in wtmp (`last`), under its TUN device's name as the "line".
//
// glibc's pututxline() finds a record's slot by reading utmp one record per read(2), from the
// start, for every call, and waits for the file's lock with alarm(2): thousands of sessions
// would make each login and logout in main thousands of system calls, and a lock held elsewhere
// would stop main. So main writes the records itself, in glibc's format: a login takes a slot
// one of its tunnels left (a dead record of one of its devices, also an earlier run's, found at
// start) or a new one at the end; a logout rewrites the tunnel's own record, if it still is. No
// ut_id, so glibc's programs find a record by its line, as they find ocserv's. main takes the
// file's lock only when it is free at once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

struct utmpx;

namespace sslvpn::mainproc {

struct UtmpLogin {
  std::string line;  // the TUN device, e.g. vpns3
  std::string user;
  std::string host;  // the client's address, as text
  pid_t pid = 0;     // the worker's
};

class UtmpLog {
 public:
  // The system's files (_PATH_UTMP, _PATH_WTMP) unless given (tests).
  UtmpLog();
  UtmpLog(std::string utmp_path, std::string wtmp_path);

  // False (errno set) when a file could not be written; the caller logs it. A file that does
  // not exist is not written and is no failure (glibc creates neither).
  bool login(const UtmpLogin& who, int64_t now_us);
  bool logout(const std::string& line, pid_t pid, int64_t now_us);

  // At start: logins left by a server that did not end them (it crashed, or the machine lost
  // power) on a device named PREFIX + digits whose process is gone become logouts in utmp and
  // wtmp. Returns how many. Those slots, and other dead ones of such devices, serve new logins.
  size_t end_stale(const std::vector<std::string>& prefixes, int64_t now_us);

  const std::string& utmp_path() const { return utmp_path_; }

 private:
  bool put_utmp(const utmpx& r, const std::string& line, bool login);
  bool append_wtmp(const utmpx& r);

  std::string utmp_path_, wtmp_path_;
  std::unordered_map<std::string, off_t> slots_;  // a tunnel's device -> its record's offset in utmp
  std::vector<off_t> free_;                       // slots of our dead records, for the next logins
};

}  // namespace sslvpn::mainproc
