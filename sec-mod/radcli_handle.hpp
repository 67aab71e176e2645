// radcli helpers shared by RADIUS logins and accounting: the handle (radiusclient.conf plus its
// dictionary) and attribute building.
#pragma once

#include <radcli/radcli.h>

#include <cstdint>
#include <string>

#include "common/unique_fd.hpp"

namespace sslvpn::secmod {

using RcHandle = CHandle<rc_handle, rc_destroy>;
using AvList = CHandle<VALUE_PAIR, rc_avpair_free>;

// Reads radcli's configuration and dictionary; null when either cannot be read.
RcHandle open_radcli(const std::string& config);
// Adds a string attribute (nothing when `v` is empty and `skip_empty`).
bool av_add_string(rc_handle* rh, VALUE_PAIR** list, int attr, const std::string& v, bool skip_empty = false);
bool av_add_uint(rc_handle* rh, VALUE_PAIR** list, int attr, uint32_t v);

}  // namespace sslvpn::secmod
