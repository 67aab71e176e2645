// Logging for the process layer (STYLE rule 21): parsers and engines never log; they return Errc.
// Each process owns one Logger and passes it by reference to the components that log.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace sslvpn {

// Numbers follow ocserv's -d levels so admins can keep their habits: 3 = debug, 8 = sensitive.
enum class LogLevel : uint8_t { Error = 0, Warning = 1, Info = 2, Debug = 3, Sensitive = 8 };

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void emit(LogLevel level, std::string_view line) = 0;
};

// Writes "sslvpnd[role]: text" lines to stderr. When stderr is systemd's journal stream
// (JOURNAL_STREAM names it), each line starts with its syslog priority ("<3>" for errors,
// sd-daemon(3)), so the journal keeps the level; journald adds the program name and time.
class StderrSink final : public LogSink {
 public:
  explicit StderrSink(std::string role);
  void emit(LogLevel level, std::string_view line) override;

 private:
  std::string role_;
  bool journal_;
};

// Whether fd 2 is the stream named by a JOURNAL_STREAM value ("device:inode").
bool stderr_is_journal(const char* journal_stream);

class Logger {
 public:
  Logger(LogSink* sink, int max_level) : sink_(sink), max_level_(max_level) {}

  bool enabled(LogLevel l) const noexcept { return static_cast<int>(l) <= max_level_; }
  int max_level() const noexcept { return max_level_; }
  void set_max_level(int l) noexcept { max_level_ = l; }
  void set_sink(LogSink* s) noexcept { sink_ = s; }

  template <class... A>
  void log(LogLevel l, const A&... a) {
    if (!enabled(l) || sink_ == nullptr) return;
    std::ostringstream os;
    (os << ... << a);
    sink_->emit(l, os.str());
  }
  template <class... A>
  void error(const A&... a) {
    log(LogLevel::Error, a...);
  }
  template <class... A>
  void warn(const A&... a) {
    log(LogLevel::Warning, a...);
  }
  template <class... A>
  void info(const A&... a) {
    log(LogLevel::Info, a...);
  }
  template <class... A>
  void debug(const A&... a) {
    log(LogLevel::Debug, a...);
  }

 private:
  LogSink* sink_;
  int max_level_;
};

}  // namespace sslvpn

namespace sslvpn {

// syslog(3) with facility daemon, for the daemonized main and sec-mod.
class SyslogSink final : public LogSink {
 public:
  explicit SyslogSink(const char* ident);
  void emit(LogLevel level, std::string_view line) override;
};

}  // namespace sslvpn
