#include "common/log.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace sslvpn {

namespace {

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return LOG_ERR;
    case LogLevel::Warning:
      return LOG_WARNING;
    case LogLevel::Info:
      return LOG_INFO;
    case LogLevel::Debug:
    case LogLevel::Sensitive:
      return LOG_DEBUG;
  }
  return LOG_DEBUG;
}

}  // namespace

bool stderr_is_journal(const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(journal_stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

StderrSink::StderrSink(std::string role)
    : role_(std::move(role)), journal_(stderr_is_journal(std::getenv("JOURNAL_STREAM"))) {}

void StderrSink::emit(LogLevel level, std::string_view line) {
  std::string out;
  if (journal_) out = "<" + std::to_string(syslog_priority(level)) + ">";
  out += "sslvpnd[" + role_ + "]: ";
  if (level == LogLevel::Error) out += "error: ";
  if (level == LogLevel::Warning) out += "warning: ";
  // One line each: a control character (from a value echoed from a file or a client) is shown
  // as '?', so nothing can start a forged line or move the terminal.
  for (char ch : line) out.push_back(static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f ? '?' : ch);
  out.push_back('\n');
  // One write per line so lines from several processes sharing stderr do not interleave.
  ssize_t r = ::write(STDERR_FILENO, out.data(), out.size());
  (void)r;
}

SyslogSink::SyslogSink(const char* ident) {
  ::openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void SyslogSink::emit(LogLevel level, std::string_view line) {
  std::string out(line);
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  ::syslog(syslog_priority(level), "%s", out.c_str());
}

}  // namespace sslvpn
