// Two UDP sockets on 127.0.0.1 connected to each other: the server's side of a path and the
// client's (for the datagram channels' unit tests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/unique_fd.hpp"

namespace sslvpn::testing {

struct UdpPair {
  UniqueFd server, client;
  UdpPair() {
    server = bound();
    client = bound();
    connect_to(server.get(), client.get());
    connect_to(client.get(), server.get());
  }
  // What the client's socket got (up to 8 datagrams waiting).
  std::vector<std::string> client_got() const {
    std::vector<std::string> got;
    char buf[4096];
    for (int i = 0; i < 8; ++i) {
      ssize_t n = ::recv(client.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) break;
      got.emplace_back(buf, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  static UniqueFd bound() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return s;
  }
  static void connect_to(int fd, int peer) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(peer, reinterpret_cast<sockaddr*>(&a), &len);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
  }
};

}  // namespace sslvpn::testing
