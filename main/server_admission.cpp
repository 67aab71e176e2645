// Login admission (main/admission.hpp): how the server uses it. Connections pass the ban and
// max-clients checks, then start at once if a login slot is free, or wait for one.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "main/proxy_header.hpp"
#include "main/server.hpp"
#include "main/tls_hello.hpp"

namespace sslvpn::mainproc {

AdmissionLimits Server::admission_limits() const {
  return admission_limits_for(cfg().max_logins_in_progress, cfg().login_queue_timeout,
                              std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
}

// The listeners defer accept until the client's first bytes are there (TCP_DEFER_ACCEPT), so
// its ClientHello can be peeked: does it resume a session of ours?
bool Server::hello_resumes(int fd) const {
  uint8_t buf[8192];  // a hello with post-quantum key shares or a large ticket fits
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n <= 0) return false;
  return classify_client_hello(std::span<const uint8_t>(buf, static_cast<size_t>(n))) ==
         HelloKind::Resumption;
}

// listen-proxy-proto: a load balancer sends the header at once, ahead of the client's bytes, so
// it is here when accept() returns (TCP_DEFER_ACCEPT). A partial header is dropped, as the spec
// allows; so is a connection without one (it never falls back to the balancer's address).
bool Server::take_proxy_header(int fd, std::string* ip, uint16_t* port, std::string* local_ip) const {
  uint8_t buf[kMaxProxyHeader];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  ProxyHeader h = parse_proxy_header(std::span<const uint8_t>(buf, n > 0 ? static_cast<size_t>(n) : 0));
  if (h.result != ProxyParse::Ok) {
    log_.debug("refusing ", *ip, ":", *port, ": ",
               h.result == ProxyParse::Incomplete ? "an incomplete PROXY protocol header" : h.error,
               " (listen-proxy-proto)");
    return false;
  }
  if (::recv(fd, buf, h.length, MSG_DONTWAIT) != static_cast<ssize_t>(h.length)) return false;
  if (!h.has_addresses) return true;  // LOCAL/UNKNOWN: the balancer's own connection
  uint16_t local_port = 0;
  *ip = address_text(h.source, port);
  *local_ip = address_text(h.dest, &local_port);
  return true;
}

bool Server::start_admitted(WaitingConnection c) {
  uint64_t id = spawn_worker(std::move(c.fd), c.ip, c.port, c.service, std::move(c.ovpn), c.local_ip);
  if (id == 0) {
    admission_.cancel_reservation();
    return false;
  }
  admission_.take(id, ev_now(loop_));
  return true;
}

// Starts waiting connections while slots are free; a start that fails (no descriptors, sec-mod
// unreachable) ends this round, so one failure does not empty the whole queue.
void Server::admit_waiting() {
  if (draining_) return;
  while (auto c = admission_.next(ev_now(loop_)))
    if (!start_admitted(std::move(*c))) return;
}

// The worker's login is over (it succeeded, a tunnel was asked for with a cookie, the worker
// exited): its slot goes to the next waiting connection.
void Server::end_login_slot(uint64_t worker_id) {
  admission_.release(worker_id);
  admit_waiting();
}

void Server::admission_cb(struct ev_loop* loop, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  self->admission_.expire(ev_now(loop));
  self->admit_waiting();
}

}  // namespace sslvpn::mainproc
