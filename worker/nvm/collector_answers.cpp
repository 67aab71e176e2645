// The collector's answers to main's queries: stored flows as ctl::FlowRow (show flows) and its
// own counters (show collector). Long answers go in parts that each fit an IPC message.
#include "worker/nvm/collector.hpp"

namespace sslvpn::nvm {
namespace {

constexpr uint32_t kMaxRows = 100000;
constexpr size_t kPartBytes = 48 * 1024;  // under kMaxIpcMessage with room for the envelope

void fill_row(const FlowRecord& f, ctl::FlowRow* r) {
  r->set_start_ms(f.start_ms);
  r->set_end_ms(f.end_ms);
  r->set_exporter(f.exporter);
  r->set_domain(f.domain);
  if (f.src.valid()) r->set_src(f.src.to_string());
  if (f.dst.valid()) r->set_dst(f.dst.to_string());
  r->set_sport(f.sport);
  r->set_dport(f.dport);
  r->set_proto(f.proto);
  r->set_packets(f.packets);
  r->set_bytes(f.bytes);
  r->set_bytes_in(f.bytes_in);
  r->set_bytes_out(f.bytes_out);
  r->set_vpn_user(f.vpn_user);
  r->set_vpn_group(f.vpn_group);
  r->set_vpn_session(f.vpn_session);
  r->set_attributed_by(f.attributed_by);
  r->set_udid(f.udid);
  r->set_claimed_user(f.claimed_user);
  r->set_process(f.process);
  r->set_process_hash(f.process_hash);
  r->set_process_path(f.process_path);
  r->set_process_args(f.process_args);
  r->set_process_account(f.process_account);
  r->set_pid(f.pid);
  r->set_parent(f.parent);
  r->set_parent_pid(f.parent_pid);
  r->set_parent_path(f.parent_path);
  r->set_parent_account(f.parent_account);
  r->set_parent_hash(f.parent_hash);
  r->set_dns_suffix(f.dns_suffix);
  r->set_dest_hostname(f.dest_hostname);
  r->set_os_name(f.os_name);
  r->set_os_version(f.os_version);
  r->set_agent_version(f.agent_version);
  r->set_modules(f.modules);
  r->set_gateway(f.gateway);
  r->set_module_hashes(f.module_hashes);
  r->set_interface(f.interface);
  r->set_extra(f.extra);
}

}  // namespace

void Collector::on_query(const ipc::CollectorQuery& q) {
  switch (q.what_case()) {
    case ipc::CollectorQuery::kFlows:
      return answer_flows(q.token(), q.flows());
    case ipc::CollectorQuery::kStatus:
      return answer_status(q.token());
    case ipc::CollectorQuery::WHAT_NOT_SET:
      break;
  }
  ipc::CollectorToMain m;
  m.mutable_answer()->set_token(q.token());
  m.mutable_answer()->set_error("unknown query");
  (void)main_.send(m);
}

void Collector::answer_flows(uint64_t token, const ctl::FlowFilter& f) {
  FlowQuery q;
  q.user = f.user();
  // With anonymised users the store holds pseudonyms: a real name is looked up by its own.
  if (privacy_.anonymize_users && !q.user.empty() && q.user.rfind("anon-", 0) != 0)
    q.user = pseudonym(privacy_.key, q.user);
  q.session = f.session();
  q.since_ms = f.since_ms();
  q.until_ms = f.until_ms();
  q.dest = f.dest();
  q.process = f.process();
  q.exporter = f.exporter();
  q.limit = f.limit() == 0 ? 100 : std::min(f.limit(), kMaxRows);
  // On the store's thread, after every batch handed over before this query.
  writer_->run([this, token, q](FlowStore& store) {
    ipc::CollectorToMain m;
    auto* a = m.mutable_answer();
    a->set_token(token);
    auto rows = store.query(q);
    if (!rows) {
      a->set_error(std::string("the flow store failed: ") + store.last_error());
      (void)main_.send(m);
      return;
    }
    size_t bytes = 0;
    for (const FlowRecord& fr : *rows) {
      ctl::FlowRow* r = a->add_flows();
      fill_row(fr, r);
      bytes += r->ByteSizeLong();
      if (bytes > kPartBytes) {
        a->set_more(true);
        if (!main_.send(m)) return;
        a->clear_flows();
        a->set_more(false);
        bytes = 0;
      }
    }
    (void)main_.send(m);
  });
}

void Collector::answer_status(uint64_t token) {
  ipc::CollectorToMain m;
  auto* a = m.mutable_answer();
  a->set_token(token);
  ctl::CollectorStatus* s = a->mutable_status();
  s->set_pid(static_cast<uint32_t>(::getpid()));
  s->set_listen(st_.listen());
  s->set_store(st_.store());
  const IpfixCounters& d = decoder_.counters();
  s->set_messages(d.messages);
  s->set_records(d.records);
  s->set_options_records(d.options_records);
  s->set_malformed_messages(d.malformed_messages);
  s->set_templates_learned(d.templates_learned);
  s->set_templates_withdrawn(d.templates_withdrawn);
  s->set_templates_expired(d.templates_expired);
  s->set_templates_refused(d.templates_refused);
  s->set_sets_without_template(d.sets_without_template);
  s->set_malformed_records(d.malformed_records);
  s->set_sequence_lost(d.sequence_lost);
  s->set_sequence_disorder(d.sequence_disorder);
  s->set_exporters_forgotten(d.exporters_forgotten);
  StoreWriter::Stats w = writer_->stats();
  s->set_flows_stored(w.stored);
  s->set_flows_attributed(c_.flows_attributed);
  s->set_flows_unattributed(c_.flows_unattributed);
  s->set_flows_dropped_unattributed(c_.flows_dropped_unattributed);
  s->set_flows_dropped_private(c_.flows_dropped_private);
  s->set_flows_dropped_queue(w.dropped_queue);
  s->set_flows_store_failed(w.failed);
  s->set_strings_truncated(c_.strings_truncated);
  s->set_rows_expired(rows_expired_);
  s->set_endpoints(c_.endpoints);
  s->set_interfaces(c_.interfaces);
  s->set_datagrams_refused(c_.datagrams_refused);
  s->set_datagrams_dropped_kernel(c_.datagrams_dropped_kernel);
  if (dtls_) {
    const DtlsCounters& d = dtls_->counters();
    s->set_dtls(true);
    s->set_dtls_sessions(static_cast<uint32_t>(dtls_->sessions()));
    s->set_dtls_handshakes(d.handshakes);
    s->set_dtls_handshake_failures(d.handshake_failures);
    s->set_dtls_cookies_sent(d.cookies_sent);
    s->set_dtls_refused_no_room(d.refused_no_room);
    s->set_dtls_refused_half_open(d.refused_half_open);
    s->set_dtls_not_dtls(d.not_dtls);
  }
  s->set_live_sessions(static_cast<uint32_t>(sessions_.live()));
  s->set_queued(static_cast<uint32_t>(queue_.size() + w.queued));
  s->set_last_store_error(w.last_error);
  // The busiest exporters first would need a sort; the table is bounded (max_exporters), and
  // the answer is cut to what fits one message.
  size_t bytes = 0;
  for (const auto& [key, ex] : decoder_.exporters()) {
    ctl::ExporterRow* r = s->add_exporters();
    r->set_address(key);
    r->set_first_seen(static_cast<int64_t>(ex.first_seen));
    r->set_last_seen(static_cast<int64_t>(ex.last_seen));
    r->set_messages(ex.messages);
    uint64_t records = 0, lost = 0;
    uint32_t templates = 0;
    const char* mode = "";
    for (const auto& [id, dom] : ex.domains) {
      records += dom.records;
      lost += dom.lost;
      templates += static_cast<uint32_t>(dom.templates.size());
      if (dom.mode == DomainState::SeqMode::Rfc) mode = "rfc7011";
      if (dom.mode == DomainState::SeqMode::Inclusive) mode = "inclusive";
    }
    r->set_records(records);
    r->set_lost(lost);
    r->set_domains(static_cast<uint32_t>(ex.domains.size()));
    r->set_templates(templates);
    r->set_sequence_mode(mode);
    bytes += r->ByteSizeLong();
    if (bytes > kPartBytes) break;
  }
  // The store's own figures on its thread (a count over millions of rows takes a while).
  writer_->run([this, m = std::move(m)](FlowStore& store) mutable {
    ctl::CollectorStatus* s = m.mutable_answer()->mutable_status();
    if (auto st = store.stats()) {
      s->set_store_rows(st->flows);
      s->set_store_bytes(st->bytes);
      s->set_store_oldest_ms(st->oldest_ms);
    }
    (void)main_.send(m);
  });
}

}  // namespace sslvpn::nvm
