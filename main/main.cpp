// sslvpnd: the main process (root). See doc/architecture.md.
#include <ev.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "common/unique_fd.hpp"
#include "main/control_socket.hpp"
#include "main/listener.hpp"
#include "main/openvpn_mgmt_io.hpp"
#include "main/options.hpp"
#include "main/server.hpp"
#include "main/settings_loader.hpp"
#include "main/user_settings.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

namespace {

class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    make_parent_dir(path_);
    UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) throw std::runtime_error("cannot write pid-file '" + path_ + "': " + write_error(errno));
    std::string line = std::to_string(::getpid()) + "\n";
    if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("cannot write pid-file '" + path_ + "': " + write_error(errno));
  }
  ~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

 private:
  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (auto code = parse_options(argc, argv, &opt)) return *code;
  StderrSink stderr_sink("main");
  int level = opt.debug_level >= 0 ? opt.debug_level : static_cast<int>(LogLevel::Info);
  Logger log(&stderr_sink, level);
  try {
    ServerSettings s = load_server_settings(opt.config_file, log);
    // ocserv's log-level (0 default ... 3 debug, 4 http, 8 sensitive, 9 TLS) when -d is not given.
    if (opt.debug_level < 0 && s.config->log_level) {
      int l = *s.config->log_level;
      level = l == 0 ? 1 : l <= 2 ? 2 : l < 8 ? 3 : 8;
      log.set_max_level(level);
    }
    if (opt.test_config) {
      // The per-user and per-group files are read at each login; -t reads them now, so that a
      // broken one shows here rather than as a refused tunnel. They do not stop the server.
      for (const auto& m : mainproc::check_user_config_files(*s.config))
        std::fprintf(stderr, "sslvpnd: %s\n", m.c_str());
      // openvpn-management's password file is read at start (a reload keeps the interface as it
      // is): one the start would refuse is refused here too.
      if (!s.config->openvpn_management_password_file.empty()) {
        std::string password = mainproc::read_management_password(s.config->openvpn_management_password_file);
        wipe_string(password);
      }
      std::printf("sslvpnd: configuration '%s' is valid\n", opt.config_file.c_str());
      return 0;
    }
    if (::geteuid() != 0) throw std::runtime_error("sslvpnd must be started as root");
    // Main holds a channel per worker and sec-mod one per login: lift the descriptor limit to
    // the hard limit (the systemd unit raises that one).
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    // listen-netns: the sockets clients reach live in that namespace; the rest stays here.
    std::unique_ptr<mainproc::NetnsSockets> netns;
    if (!s.config->listen_netns.empty()) {
      netns = mainproc::NetnsSockets::open(s.config->listen_netns);
      log.info("listening in network namespace '", s.config->listen_netns, "' (listen-netns)");
    }
    std::vector<mainproc::TcpListener> listeners;
    if (s.config->tcp_port != 0)  // 0: an OpenVPN-only server
      for (auto& fd : open_listeners(s.config->listen_host, s.config->tcp_port, netns.get()))
        listeners.push_back({std::move(fd), mainproc::TcpService::Https});
    if (s.config->openvpn_tcp_port != 0)
      for (auto& fd : open_listeners(s.config->listen_host, s.config->openvpn_tcp_port, netns.get()))
        listeners.push_back({std::move(fd), mainproc::TcpService::OpenVpnTcp});

    SyslogSink syslog_sink("sslvpnd");
    if (!opt.foreground) {
      if (::daemon(1, 0) != 0) throw std::runtime_error("daemon() failed");
      log.set_sink(&syslog_sink);
      s.use_syslog = true;
    }
    PidFile pid_file(opt.pid_file.empty() ? s.config->pid_file : opt.pid_file);
    s.log_level = level;
    struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
    int code = 0;
    {
      Server server(loop, log, std::move(s), std::move(listeners), std::move(netns));
      server.start();
      ev_run(loop, 0);
      code = server.exit_code();
    }  // the server's channels and sockets close here: children see main go
    // As ocserv: the children, and the disconnect-scripts of the last tunnels, get up to 5 s
    // (a service manager would otherwise end the scripts with main).
    for (int waited = 0; waited < 50;) {
      pid_t r = ::waitpid(-1, nullptr, WNOHANG);
      if (r < 0 && errno != EINTR) break;  // ECHILD: none left
      if (r == 0) {
        ::usleep(100 * 1000);
        ++waited;
      }
    }
    return code;
  } catch (const std::exception& e) {
    log.error(e.what());
    return 1;
  }
}
