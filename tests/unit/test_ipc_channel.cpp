#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc_channel.hpp"

using namespace sslvpn;

TEST_CASE("ipc: envelopes round-trip, with and without an fd", "[ipc]") {
  auto pair = make_ipc_pair();
  REQUIRE(pair.ok());
  IpcChannel a(std::move(pair->first)), b(std::move(pair->second));

  ipc::MainToSecMod m;
  m.mutable_attach_worker()->set_worker_id(42);
  m.mutable_attach_worker()->set_client_ip("192.0.2.7");
  int pipefd[2];
  REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  REQUIRE(a.send(m, wr.get()).ok());

  auto got = b.recv<ipc::MainToSecMod>(false);
  REQUIRE(got.ok());
  CHECK(got->first.attach_worker().worker_id() == 42);
  CHECK(got->first.attach_worker().client_ip() == "192.0.2.7");
  REQUIRE(got->second.valid());
  // The passed fd is the pipe's write end: bytes written to it arrive at rd.
  REQUIRE(::write(got->second.get(), "z", 1) == 1);
  char c = 0;
  REQUIRE(::read(rd.get(), &c, 1) == 1);
  CHECK(c == 'z');

  ipc::SecModToMain ready;
  ready.mutable_ready();
  REQUIRE(b.send(ready).ok());
  auto r2 = a.recv<ipc::SecModToMain>(false);
  REQUIRE(r2.ok());
  CHECK(r2->first.msg_case() == ipc::SecModToMain::kReady);
  CHECK_FALSE(r2->second.valid());
}

TEST_CASE("ipc: empty queue, closed peer, oversized and garbage datagrams", "[ipc]") {
  auto pair = make_ipc_pair();
  REQUIRE(pair.ok());
  int raw = pair->second.get();
  IpcChannel a(std::move(pair->first)), b(std::move(pair->second));
  CHECK(b.recv<ipc::WorkerToMain>(true).error() == Errc::Timeout);

  std::string big(kMaxIpcMessage + 10, 'x');
  REQUIRE(::send(a.raw_fd(), big.data(), big.size(), 0) == static_cast<ssize_t>(big.size()));
  CHECK(b.recv_datagram(true).error() == Errc::Limit);

  const char junk[] = "\xff\xff\xff\xff\x0f";
  REQUIRE(::send(a.raw_fd(), junk, 5, 0) == 5);
  CHECK(b.recv<ipc::WorkerToMain>(true).error() == Errc::Malformed);

  ipc::WorkerToMain log;
  log.mutable_log()->set_text(std::string(kMaxIpcMessage + 1, 'a'));
  CHECK(a.send(log).error() == Errc::Limit);

  a.close();
  CHECK(b.recv<ipc::WorkerToMain>(false).error() == Errc::Closed);
  (void)raw;
}
