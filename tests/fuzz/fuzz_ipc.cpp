// Every IPC envelope parser, as a privileged process would run it on a worker's bytes.
#include <google/protobuf/stubs/logging.h>
#include <cstdint>
#include <string>

#include "ipc.pb.h"

// protobuf logs every string field that is not UTF-8; the fuzzer makes thousands a second.
[[maybe_unused]] static const bool kQuietProtobuf = (google::protobuf::SetLogHandler(nullptr), true);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::string s(reinterpret_cast<const char*>(d), n);
  sslvpn::ipc::WorkerToSecMod a;
  (void)a.ParseFromString(s);
  sslvpn::ipc::WorkerToMain b;
  (void)b.ParseFromString(s);
  sslvpn::ipc::SecModToMain c;
  (void)c.ParseFromString(s);
  sslvpn::ipc::MainToSecMod e;
  (void)e.ParseFromString(s);
  sslvpn::ipc::MainToWorker f;
  (void)f.ParseFromString(s);
  sslvpn::ipc::SecModToWorker g;
  (void)g.ParseFromString(s);
  return 0;
}
