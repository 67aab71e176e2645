#include "sec-mod/radius_acct.hpp"

#include <arpa/inet.h>

#include "sec-mod/radcli_handle.hpp"

namespace sslvpn::secmod {
namespace {

bool send_record(rc_handle* rh, const std::string& nas_id, const ipc::AccountingRecord& r) {
  VALUE_PAIR* raw = nullptr;
  uint32_t status = r.kind() == ipc::AccountingRecord::START  ? PW_STATUS_START
                    : r.kind() == ipc::AccountingRecord::STOP ? PW_STATUS_STOP
                                                              : PW_STATUS_ALIVE;
  bool ok = av_add_uint(rh, &raw, PW_ACCT_STATUS_TYPE, status) &&
            av_add_string(rh, &raw, PW_ACCT_SESSION_ID, r.acct_session_id(), true) &&
            av_add_string(rh, &raw, PW_USER_NAME, r.username(), true) &&
            av_add_string(rh, &raw, PW_CALLING_STATION_ID, r.client_ip(), true) &&
            av_add_string(rh, &raw, PW_NAS_IDENTIFIER, nas_id, true) &&
            av_add_uint(rh, &raw, PW_SERVICE_TYPE, PW_FRAMED) &&
            av_add_uint(rh, &raw, PW_NAS_PORT_TYPE, PW_VIRTUAL);
  if (ok && !r.ipv4().empty()) {
    struct in_addr a {};
    if (inet_pton(AF_INET, r.ipv4().c_str(), &a) == 1)
      ok = av_add_uint(rh, &raw, PW_FRAMED_IP_ADDRESS, ntohl(a.s_addr));
  }
  if (ok && r.kind() != ipc::AccountingRecord::START) {
    ok = av_add_uint(rh, &raw, PW_ACCT_SESSION_TIME, r.session_time()) &&
         av_add_uint(rh, &raw, PW_ACCT_INPUT_OCTETS, static_cast<uint32_t>(r.bytes_in())) &&
         av_add_uint(rh, &raw, PW_ACCT_INPUT_GIGAWORDS, static_cast<uint32_t>(r.bytes_in() >> 32)) &&
         av_add_uint(rh, &raw, PW_ACCT_OUTPUT_OCTETS, static_cast<uint32_t>(r.bytes_out())) &&
         av_add_uint(rh, &raw, PW_ACCT_OUTPUT_GIGAWORDS, static_cast<uint32_t>(r.bytes_out() >> 32));
  }
  if (ok && r.kind() == ipc::AccountingRecord::STOP && r.terminate_cause() != 0)
    ok = av_add_uint(rh, &raw, PW_ACCT_TERMINATE_CAUSE, r.terminate_cause());
  AvList send(raw);
  return ok && rc_acct(rh, 0, send.get()) == OK_RC;
}

}  // namespace

RadiusAccounting::RadiusAccounting(std::string config, std::string nas_identifier)
    : config_(std::move(config)), nas_identifier_(std::move(nas_identifier)), thread_([this] { run(); }) {}

RadiusAccounting::~RadiusAccounting() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool RadiusAccounting::submit(const ipc::AccountingRecord& r) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (queue_.size() >= kMaxQueuedRecords) {
      ++failures_;
      return false;
    }
    queue_.push_back(r);
  }
  cv_.notify_one();
  return true;
}

uint64_t RadiusAccounting::take_failures() {
  std::lock_guard<std::mutex> g(mu_);
  uint64_t n = failures_;
  failures_ = 0;
  return n;
}

void RadiusAccounting::run() {
  RcHandle rh = open_radcli(config_);
  for (;;) {
    ipc::AccountingRecord r;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      // Stop records still queued at shutdown go out first (bounded by radcli's timeouts).
      if (queue_.empty()) return;
      r = std::move(queue_.front());
      queue_.pop_front();
    }
    bool ok = rh && send_record(rh.get(), nas_identifier_, r);
    if (!ok) {
      std::lock_guard<std::mutex> g(mu_);
      ++failures_;
    }
  }
}

}  // namespace sslvpn::secmod
