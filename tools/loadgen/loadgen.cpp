#include "tools/loadgen/loadgen.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/json_writer.hpp"

namespace sslvpn::loadgen {
namespace {

constexpr double kTick = 0.02;  // the scheduler's resolution

// The pid and its descendants (children files of every thread).
std::vector<int> tree(int pid) {
  std::vector<int> out{pid};
  for (size_t i = 0; i < out.size() && out.size() < 100000; ++i) {
    std::string dir = "/proc/" + std::to_string(out[i]) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(dir + "/" + e->d_name + "/children");
      int c = 0;
      while (f >> c) out.push_back(c);
    }
    ::closedir(d);
  }
  return out;
}

double cpu_seconds(int pid) {
  double total = 0;
  long hz = ::sysconf(_SC_CLK_TCK);
  for (int p : tree(pid)) {
    std::ifstream f("/proc/" + std::to_string(p) + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    auto rp = line.rfind(')');
    if (rp == std::string::npos) continue;
    std::istringstream in(line.substr(rp + 2));
    std::string x;
    unsigned long long v[17] = {};
    for (int i = 0; i < 15 && in >> x; ++i)
      if (i >= 11) v[i] = std::strtoull(x.c_str(), nullptr, 10);  // fields 14..17: utime stime cutime cstime
    total += static_cast<double>(v[11] + v[12] + v[13] + v[14]) / static_cast<double>(hz);
  }
  return total;
}

long pss_kb(int pid) {
  long total = 0;
  for (int p : tree(pid)) {
    std::ifstream f("/proc/" + std::to_string(p) + "/smaps_rollup");
    std::string k;
    long v = 0;
    while (f >> k) {
      if (k == "Pss:" && f >> v) {
        total += v;
        break;
      }
    }
  }
  return total;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

Loadgen::Loadgen(struct ev_loop* loop, Options o) : loop_(loop), o_(std::move(o)) {
  addr_.sin_family = AF_INET;
  addr_.sin_port = htons(o_.port);
  if (::inet_pton(AF_INET, o_.host.c_str(), &addr_.sin_addr) != 1)
    throw std::runtime_error("--server needs an IPv4 address, got '" + o_.host + "'");
  if (gnutls_certificate_allocate_credentials(&creds_) < 0) throw std::runtime_error("gnutls credentials");
  // A load generator trusts the server it was pointed at: no certificate check.
  if (gnutls_priority_init(&prio_, "NORMAL", nullptr) < 0) throw std::runtime_error("gnutls priority");
  // Each session holds a socket (two while it reconnects): raise the descriptor limit.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }
  sessions_.reserve(o_.sessions);
}

Loadgen::~Loadgen() {
  ev_timer_stop(loop_, &tick_);
  sessions_.clear();
  gnutls_priority_deinit(prio_);
  gnutls_certificate_free_credentials(creds_);
}

void Loadgen::tick_cb(struct ev_loop*, ev_timer* w, int) {
  static_cast<Loadgen*>(w->data)->tick();
}

int Loadgen::run() {
  if (o_.server_pid) pss_before_ = pss_kb(o_.server_pid);
  t0_ = std::chrono::steady_clock::now();
  ev_timer_init(&tick_, &Loadgen::tick_cb, 0., kTick);
  tick_.data = this;
  ev_timer_start(loop_, &tick_);
  ev_run(loop_, 0);
  return (st_.established == o_.sessions && st_.alive_at_end == o_.sessions) ? 0 : 1;
}

void Loadgen::tick() {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - t0_).count();
  // Start sessions at the configured rate.
  auto due = static_cast<uint32_t>(std::min<double>(o_.sessions, elapsed * o_.rate + 1));
  while (sessions_.size() < due) {
    sessions_.push_back(std::make_unique<ClientSession>(*this, static_cast<uint32_t>(sessions_.size())));
    sessions_.back()->start();
  }
  if (holding_) {
    double held = std::chrono::duration<double>(now - all_up_).count();
    if (held >= o_.hold_s && !finished_) {
      finished_ = true;
      double cpu = o_.server_pid ? cpu_seconds(o_.server_pid) - cpu_at_hold_ : 0;
      long pss = o_.server_pid ? pss_kb(o_.server_pid) : 0;
      report(cpu, pss, elapsed);
      for (auto& s : sessions_) s->stop();
      ev_break(loop_, EVBREAK_ALL);
    }
  }
}

void Loadgen::check_done() {
  if (holding_ || sessions_.size() < o_.sessions) return;
  uint32_t settled = st_.established;
  for (auto f : st_.failures) settled += f;
  if (settled < o_.sessions) return;
  holding_ = true;
  all_up_ = std::chrono::steady_clock::now();
  if (o_.server_pid) cpu_at_hold_ = cpu_seconds(o_.server_pid);
  std::fprintf(stderr, "loadgen: %u of %u sessions up after %.1f s; holding %.0f s\n", st_.established,
               o_.sessions, std::chrono::duration<double>(all_up_ - t0_).count(), o_.hold_s);
}

double Loadgen::last_up_ms() const {
  if (st_.last_up == std::chrono::steady_clock::time_point{}) return 0;
  return std::chrono::duration<double, std::milli>(st_.last_up - t0_).count();
}

void Loadgen::report(double hold_cpu_s, long pss, double elapsed_s) {
  uint32_t failed = 0;
  for (auto f : st_.failures) failed += f;
  if (o_.json) {
    JsonWriter j;
    j.begin_object()
        .field("sessions", o_.sessions)
        .field("established", st_.established)
        .field("alive_at_end", st_.alive_at_end)
        .field("failed", failed);
    j.key("failures").begin_object();
    for (size_t i = 0; i < st_.failures.size(); ++i)
      j.field(failure_name(static_cast<Failure>(i)), st_.failures[i]);
    j.end_object();
    j.field("login_ms_p50", static_cast<int64_t>(percentile(st_.login_ms, 0.5)))
        .field("login_ms_p90", static_cast<int64_t>(percentile(st_.login_ms, 0.9)))
        .field("login_ms_p99", static_cast<int64_t>(percentile(st_.login_ms, 0.99)))
        .field("tunnel_ms_p50", static_cast<int64_t>(percentile(st_.tunnel_ms, 0.5)))
        .field("tunnel_ms_p99", static_cast<int64_t>(percentile(st_.tunnel_ms, 0.99)))
        .field("dpd_sent", st_.dpd_sent)
        .field("dpd_answered", st_.dpd_answered)
        .field("data_sent", st_.data_sent)
        .field("server_pss_kb", static_cast<int64_t>(pss))
        .field("server_pss_kb_before", static_cast<int64_t>(pss_before_))
        .field("server_pss_kb_per_session",
               static_cast<int64_t>(st_.established ? (pss - pss_before_) / st_.established : 0))
        .field("server_cpu_s_while_holding", static_cast<int64_t>(hold_cpu_s * 1000) / 1000)
        .field("elapsed_s", static_cast<int64_t>(elapsed_s))
        .field("last_up_ms", static_cast<int64_t>(last_up_ms()))
        .field("resumed", st_.resumed)
        .end_object();
    std::printf("%s\n", j.str().c_str());
    return;
  }
  std::printf("sessions %u: established %u, alive at the end %u, failed %u\n", o_.sessions, st_.established,
              st_.alive_at_end, failed);
  for (size_t i = 0; i < st_.failures.size(); ++i)
    if (st_.failures[i])
      std::printf("  failed (%s): %u\n", failure_name(static_cast<Failure>(i)), st_.failures[i]);
  std::printf("login latency ms: p50 %.0f p90 %.0f p99 %.0f max %.0f\n", percentile(st_.login_ms, 0.5),
              percentile(st_.login_ms, 0.9), percentile(st_.login_ms, 0.99), percentile(st_.login_ms, 1));
  std::printf("tunnel up ms:     p50 %.0f p99 %.0f; the last up at %.1f s; %u CONNECTs resumed TLS\n",
              percentile(st_.tunnel_ms, 0.5), percentile(st_.tunnel_ms, 0.99), last_up_ms() / 1000.0,
              st_.resumed);
  std::printf("DPD: %llu sent, %llu server requests answered; %llu data packets sent\n",
              static_cast<unsigned long long>(st_.dpd_sent),
              static_cast<unsigned long long>(st_.dpd_answered),
              static_cast<unsigned long long>(st_.data_sent));
  if (o_.server_pid)
    std::printf(
        "server (pid %d and its processes): PSS %ld kB (%ld kB before: %.1f kB per session), CPU %.2f s over "
        "the "
        "%.0f s hold\n",
        o_.server_pid, pss, pss_before_,
        st_.established ? static_cast<double>(pss - pss_before_) / st_.established : 0.0, hold_cpu_s,
        o_.hold_s);
}

}  // namespace sslvpn::loadgen
