// sslvpnd: the main process (root). See doc/architecture.md.
#include <ev.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "main/listener.hpp"
#include "main/options.hpp"
#include "main/server.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

namespace {

RuntimeIdentity resolve_identity(const Config& c) {
  RuntimeIdentity id;
  const passwd* pw = ::getpwnam(c.run_as_user.c_str());
  if (pw == nullptr)
    throw std::runtime_error("run-as-user '" + c.run_as_user +
                             "' does not exist; create it (useradd --system --no-create-home --shell "
                             "/usr/sbin/nologin " +
                             c.run_as_user + ") or set run-as-user");
  if (pw->pw_uid == 0) throw std::runtime_error("run-as-user must not be root");
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  if (!c.run_as_group.empty()) {
    const group* gr = ::getgrnam(c.run_as_group.c_str());
    if (gr == nullptr) throw std::runtime_error("run-as-group '" + c.run_as_group + "' does not exist");
    id.gid = gr->gr_gid;
  }
  return id;
}

class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ofstream out(path_, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write pid-file '" + path_ + "'");
    out << ::getpid() << "\n";
  }
  ~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

 private:
  std::string path_;
};

// Files the login methods read: a missing CA or CRL is an error (certificate checks could not
// work), a missing password file or PAM service a warning (they may be created later).
void check_auth_files(const Config& c, Logger& log) {
  if (!c.ca_cert.empty() && ::access(c.ca_cert.c_str(), R_OK) != 0)
    throw std::runtime_error("cannot read ca-cert '" + c.ca_cert + "'");
  if (!c.crl.empty() && ::access(c.crl.c_str(), R_OK) != 0)
    throw std::runtime_error("cannot read crl '" + c.crl + "'");
  for (const auto& chain : c.auth_chains) {
    if (!chain.password) continue;
    const auto& p = chain.password->params;
    for (const char* key : {"passwd", "otp"}) {
      auto it = p.find(key);
      if (chain.password->name == "plain" && it != p.end() && ::access(it->second.c_str(), R_OK) != 0)
        log.warn(key, " file '", it->second, "' is not readable yet; logins will fail");
    }
    if (chain.password->name == "pam") {
      std::string svc = "/etc/pam.d/" + p.at("service");
      if (::access(svc.c_str(), R_OK) != 0)
        log.warn("PAM service '", p.at("service"), "' has no ", svc, "; PAM will use its 'other' stack");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (auto code = parse_options(argc, argv, &opt)) return *code;
  StderrSink stderr_sink("main");
  int level = opt.debug_level >= 0 ? opt.debug_level : static_cast<int>(LogLevel::Info);
  Logger log(&stderr_sink, level);
  try {
    std::vector<ConfigWarning> warnings;
    ServerSettings s;
    s.config = load_config_file(opt.config_file, &warnings, &s.config_text);
    for (const auto& w : warnings) log.warn(opt.config_file, ":", w.line, ": ", w.text);
    s.config_path = opt.config_file;
    s.identity = resolve_identity(s.config);
    auto chain = read_file(s.config.server_cert);
    if (!chain) throw std::runtime_error("cannot read server-cert '" + s.config.server_cert + "'");
    s.cert_chain_pem = std::move(*chain);
    if (::access(s.config.server_key.c_str(), R_OK) != 0)
      throw std::runtime_error("cannot read server-key '" + s.config.server_key + "'");
    check_auth_files(s.config, log);
    if (opt.test_config) {
      std::printf("sslvpnd: configuration '%s' is valid\n", opt.config_file.c_str());
      return 0;
    }
    if (::geteuid() != 0) throw std::runtime_error("sslvpnd must be started as root");
    auto listeners = open_listeners(s.config.listen_host, s.config.tcp_port);

    SyslogSink syslog_sink("sslvpnd");
    if (!opt.foreground) {
      if (::daemon(1, 0) != 0) throw std::runtime_error("daemon() failed");
      log.set_sink(&syslog_sink);
      s.use_syslog = true;
    }
    PidFile pid_file(opt.pid_file.empty() ? s.config.pid_file : opt.pid_file);
    s.log_level = level;
    struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
    Server server(loop, log, std::move(s), std::move(listeners));
    server.start();
    ev_run(loop, 0);
    return server.exit_code();
  } catch (const std::exception& e) {
    log.error(e.what());
    return 1;
  }
}
