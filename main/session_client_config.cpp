// openvpn's client-config-dir for a session (main/sessions.hpp): the file read when the
// session begins and at each reconnect, its ifconfig-push as the session's explicit address,
// and its pushes and iroutes folded in once the addresses are leased.
#include "common/text.hpp"
#include "common/user_config.hpp"
#include "main/sessions.hpp"

namespace sslvpn::mainproc {
namespace {

Errc refuse(Refusal* r, std::string why) {
  r->kind = ipc::SessionReply::UNAVAILABLE;
  r->reason = std::move(why);
  return Errc::Denied;
}

}  // namespace

// openvpn's client-config-dir: the user's file, else DEFAULT; with ccd-exclusive the user's own
// file is required (openvpn's verify_final_auth_checks), so DEFAULT admits no one. nullopt
// without a file; Errc::Denied (refused) when the file disables the user or does not parse.
Result<std::optional<ConnectOutput>> SessionManager::read_client_config(const Session& s,
                                                                        Refusal* refusal) const {
  const Config& c = *s.cfg;
  std::optional<std::string> text;
  std::string path;
  bool own_name = safe_config_name(s.user) && s.user != "DEFAULT";
  if (own_name)
    text = read_regular_file(path = c.openvpn_client_config_dir + "/" + s.user, kMaxConnectOutput);
  if (!text && c.openvpn_ccd_exclusive)
    return refuse(refusal, "no openvpn-client-config-dir file for this user (openvpn-ccd-exclusive)");
  if (!text) text = read_regular_file(path = c.openvpn_client_config_dir + "/DEFAULT", kMaxConnectOutput);
  if (!text) return std::optional<ConnectOutput>();
  std::string error;
  auto out = parse_connect_output(*text, &error);
  if (!out.ok()) {
    refusal->detail = path + ": " + error;
    return refuse(refusal, "the user's openvpn-client-config-dir file is malformed");
  }
  if (out->disable) {
    refusal->detail = path;
    return refuse(refusal, "disabled by its openvpn-client-config-dir file");
  }
  return std::optional<ConnectOutput>(std::move(out).value());
}

// A new session: its ifconfig-push is the session's explicit address (unless a per-user or
// per-group file or the login gave one); the rest folds in after the lease.
Result<void> SessionManager::load_client_config(Session& s, Refusal* refusal) const {
  auto out = read_client_config(s, refusal);
  if (!out.ok()) return out.error();
  if (!*out) return {};
  if ((*out)->ifconfig4 && s.settings.explicit_ipv4().empty())
    s.settings.set_explicit_ipv4((*out)->ifconfig4->to_string());
  if ((*out)->ifconfig6 && s.settings.explicit_ipv6().empty())
    s.settings.set_explicit_ipv6((*out)->ifconfig6->to_string());
  s.client_config = std::move(*out);
  return {};
}

// Once the session's addresses are known (a push-reset routes the client to its own networks):
// the file's pushes apply over the session's settings as a connect-script's output does, and
// its iroutes join the per-user ones.
void SessionManager::fold_client_config(Session& s) const {
  if (!s.client_config) return;
  std::vector<IpNet> vpn;
  if (s.ipv4 && s.v4 != nullptr) vpn.push_back(s.v4->network());
  if (s.ipv6 && s.v6 != nullptr) vpn.push_back(s.v6->network());
  s.settings = mainproc::apply_connect_output(s.settings, *s.cfg, vpn, *s.client_config);
  for (const auto& n : s.client_config->iroutes) {
    std::string text = n.to_string();
    const auto& have = s.settings.iroutes();
    if (std::find(have.begin(), have.end(), text) == have.end()) s.settings.add_iroutes(text);
  }
}

}  // namespace sslvpn::mainproc
