// sslvpnd-ovpn-key profile: a complete openvpn client profile for this server (profile.cpp).
#pragma once

#include <string>

namespace sslvpn::ovpnkey {

struct ProfileArgs {
  std::string config = "/etc/sslvpnd/sslvpnd.conf";
  std::string remote;                     // the host name clients connect to ("": this host's name)
  std::string ca;                         // the CA clients check the server with ("": the top of server-cert)
  const std::string* metadata = nullptr;  // tls-crypt-v2: inside the new client key
  std::string out;
};

// Writes the profile to `a.out` (mode 0600, never overwriting); 0, or 1 with why on stderr.
int make_profile(const ProfileArgs& a);

}  // namespace sslvpn::ovpnkey
