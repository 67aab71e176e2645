// sslvpnctl's connection to sslvpnd's control socket: one request, one reply (a long list in
// parts, joined here); "show events" then reads the replies sslvpnd sends unasked.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/ipc_channel.hpp"
#include "ctl.pb.h"

namespace sslvpn::ctltool {

class Client {
 public:
  explicit Client(const std::string& path) : path_(path) {}
  // Sends one request; a reply or an error text.
  bool call(const ctl::CtlRequest& req, ctl::CtlReply* reply, std::string* error) {
    if (!ch_.valid() && !connect(error)) return false;
    if (!ch_.send(req)) {
      *error = "cannot send to " + path_;
      return false;
    }
    reply->Clear();
    for (int parts = 0; parts < 1000000; ++parts) {
      auto r = ch_.recv<ctl::CtlReply>(false);
      if (!r.ok()) {
        *error = std::string("no answer from sslvpnd: ") + errc_name(r.error());
        return false;
      }
      // A long list arrives in parts: join their rows.
      bool more = r->first.more();
      r->first.set_more(false);
      reply->MergeFrom(r->first);
      if (!more) return true;
    }
    *error = "the reply from sslvpnd does not end";
    return false;
  }
  // The next message sslvpnd sends unasked (show events); false when the connection ends.
  bool next(ctl::CtlReply* reply) {
    auto r = ch_.recv<ctl::CtlReply>(false);
    if (!r.ok()) return false;
    *reply = std::move(r->first);
    return true;
  }
  // The socket, to wait on it together with the terminal (show events).
  int fd() const noexcept { return ch_.raw_fd(); }

 private:
  bool connect(std::string* error) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path_.size() >= sizeof sa.sun_path) {
      *error = "socket path too long";
      return false;
    }
    std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
    if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      *error = "cannot connect to " + path_ + ": " + std::strerror(errno) +
               " (is sslvpnd running, with this occtl-socket-file? sslvpnctl needs root)";
      return false;
    }
    ch_ = IpcChannel(std::move(fd));
    return true;
  }
  std::string path_;
  IpcChannel ch_;
};

// show events: occtl's start (the users table, "Press 'q' or CTRL+C to quit"), then one line per
// connect and disconnect as it happens (JSON: one object per line), until the server goes away,
// 'q' is pressed or Ctrl-C. Returns the exit status.
int watch_events(Client& client, bool json);

}  // namespace sslvpn::ctltool
