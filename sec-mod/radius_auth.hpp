// auth = "radius[config=FILE,groupconfig=true,nas-identifier=NAME]": logins checked by a RADIUS
// server through radcli (FILE is radcli's radiusclient.conf). An Access-Challenge (a token code,
// a push prompt) becomes a form showing the server's Reply-Message; the answer goes back with
// the server's State. From Access-Accept the session takes Framed-IP-Address, Framed-Route,
// Session-Timeout and Acct-Interim-Interval, and with groupconfig=true its group from Class.
// Each login runs in its own thread (a RADIUS server may take seconds to answer).
#pragma once

#include <string>

#include "sec-mod/threaded_login.hpp"

namespace sslvpn::secmod {

struct RadiusParams {
  std::string config = "/etc/radcli/radiusclient.conf";
  bool groupconfig = false;
  std::string nas_identifier;
};

inline constexpr size_t kMaxRadiusLogins = 64;

class RadiusBackend : public ThreadedBackend {
 public:
  RadiusBackend(struct ev_loop* loop, RadiusParams p, uint32_t answer_timeout_s)
      : ThreadedBackend(loop, kMaxRadiusLogins, answer_timeout_s), params_(std::move(p)) {}

 protected:
  LoginJob job() const override;

 private:
  RadiusParams params_;
};

// "10.1.0.0/16 0.0.0.0 1" or "10.1.0.0 255.255.0.0" (Framed-Route) -> "10.1.0.0/16"; empty
// when it is not a route we understand.
std::string framed_route_network(std::string_view value);

}  // namespace sslvpn::secmod
