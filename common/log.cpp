#include "common/log.hpp"

#include <unistd.h>

#include <string>

namespace sslvpn {

void StderrSink::emit(LogLevel level, std::string_view line) {
  std::string out = "sslvpnd[" + role_ + "]: ";
  if (level == LogLevel::Error) out += "error: ";
  if (level == LogLevel::Warning) out += "warning: ";
  out.append(line);
  out.push_back('\n');
  // One write per line so lines from several processes sharing stderr do not interleave.
  ssize_t r = ::write(STDERR_FILENO, out.data(), out.size());
  (void)r;
}

}  // namespace sslvpn

#include <syslog.h>

namespace sslvpn {

SyslogSink::SyslogSink(const char* ident) {
  ::openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void SyslogSink::emit(LogLevel level, std::string_view line) {
  int prio = level == LogLevel::Error     ? LOG_ERR
             : level == LogLevel::Warning ? LOG_WARNING
             : level == LogLevel::Info    ? LOG_INFO
                                          : LOG_DEBUG;
  ::syslog(prio, "%.*s", static_cast<int>(line.size()), line.data());
}

}  // namespace sslvpn
