#include "sec-mod/radcli_handle.hpp"

namespace sslvpn::secmod {

RcHandle open_radcli(const std::string& config) {
  RcHandle rh(rc_read_config(config.c_str()));
  if (!rh) return rh;
  // Older radcli needs the dictionary read by hand.
  if (rc_dict_findattr(rh.get(), "User-Name") == nullptr) {
    const char* dict = rc_conf_str(rh.get(), "dictionary");
    if (dict == nullptr || rc_read_dictionary(rh.get(), dict) != 0) rh.reset();
  }
  return rh;
}

bool av_add_string(rc_handle* rh, VALUE_PAIR** list, int attr, const std::string& v, bool skip_empty) {
  if (v.empty() && skip_empty) return true;
  return rc_avpair_add(rh, list, attr, v.data(), static_cast<int>(v.size()), 0) != nullptr;
}

bool av_add_uint(rc_handle* rh, VALUE_PAIR** list, int attr, uint32_t v) {
  return rc_avpair_add(rh, list, attr, &v, -1, 0) != nullptr;
}

}  // namespace sslvpn::secmod
