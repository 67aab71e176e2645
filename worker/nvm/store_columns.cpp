#include "worker/nvm/store_columns.hpp"

#include <charconv>

namespace sslvpn::nvm {
namespace {

const Column kColumns[] = {
    {"start_ms", &FlowRecord::start_ms},
    {"end_ms", &FlowRecord::end_ms},
    {"exporter", &FlowRecord::exporter},
    {"domain", &FlowRecord::domain},
    {"src", &FlowRecord::src},
    {"dst", &FlowRecord::dst},
    {"sport", &FlowRecord::sport},
    {"dport", &FlowRecord::dport},
    {"proto", &FlowRecord::proto},
    {"packets", &FlowRecord::packets},
    {"bytes", &FlowRecord::bytes},
    {"bytes_in", &FlowRecord::bytes_in},
    {"bytes_out", &FlowRecord::bytes_out},
    {"direction", &FlowRecord::direction},
    {"vpn_user", &FlowRecord::vpn_user},
    {"vpn_group", &FlowRecord::vpn_group},
    {"vpn_session", &FlowRecord::vpn_session},
    {"attributed_by", &FlowRecord::attributed_by},
    {"udid", &FlowRecord::udid},
    {"claimed_user", &FlowRecord::claimed_user},
    {"os_name", &FlowRecord::os_name},
    {"os_version", &FlowRecord::os_version},
    {"agent_version", &FlowRecord::agent_version},
    {"process", &FlowRecord::process},
    {"process_hash", &FlowRecord::process_hash},
    {"process_path", &FlowRecord::process_path},
    {"process_args", &FlowRecord::process_args},
    {"process_account", &FlowRecord::process_account},
    {"pid", &FlowRecord::pid},
    {"parent", &FlowRecord::parent},
    {"parent_hash", &FlowRecord::parent_hash},
    {"parent_path", &FlowRecord::parent_path},
    {"parent_args", &FlowRecord::parent_args},
    {"parent_pid", &FlowRecord::parent_pid},
    {"parent_account", &FlowRecord::parent_account},
    {"dest_hostname", &FlowRecord::dest_hostname},
    {"dns_suffix", &FlowRecord::dns_suffix},
    {"modules", &FlowRecord::modules},
    {"module_hashes", &FlowRecord::module_hashes},
    {"interface_uid", &FlowRecord::interface_uid},
    {"interface", &FlowRecord::interface},
    {"extra", &FlowRecord::extra},
    {"gateway", &FlowRecord::gateway},
};

}  // namespace

std::span<const Column> flow_columns() {
  return kColumns;
}

std::string column_list() {
  std::string out;
  for (const Column& c : kColumns) out += std::string(out.empty() ? "" : ",") + c.name;
  return out;
}

ColumnType column_type(const Column& c) {
  if (std::holds_alternative<std::string FlowRecord::*>(c.m)) return ColumnType::Text;
  if (std::holds_alternative<IpAddr FlowRecord::*>(c.m)) return ColumnType::Address;
  return ColumnType::Integer;
}

std::optional<std::string> column_text(const FlowRecord& f, const Column& c) {
  return std::visit(
      [&](auto p) -> std::optional<std::string> {
        using T = std::remove_cvref_t<decltype(f.*p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if ((f.*p).empty()) return std::nullopt;
          return f.*p;
        } else if constexpr (std::is_same_v<T, IpAddr>) {
          if (!(f.*p).valid()) return std::nullopt;
          return (f.*p).to_string();
        } else {
          return std::to_string(f.*p);
        }
      },
      c.m);
}

int64_t column_int(const FlowRecord& f, const Column& c) {
  return std::visit(
      [&](auto p) -> int64_t {
        using T = std::remove_cvref_t<decltype(f.*p)>;
        if constexpr (std::is_integral_v<T>) return static_cast<int64_t>(f.*p);
        return 0;
      },
      c.m);
}

void set_column(FlowRecord& f, const Column& c, std::optional<std::string_view> text) {
  std::visit(
      [&](auto p) {
        using T = std::remove_cvref_t<decltype(f.*p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          f.*p = text ? std::string(*text) : std::string();
        } else if constexpr (std::is_same_v<T, IpAddr>) {
          f.*p = text ? parse_ip(*text).value_or(IpAddr{}) : IpAddr{};
        } else {
          T v{};
          if (text) std::from_chars(text->data(), text->data() + text->size(), v);
          f.*p = v;
        }
      },
      c.m);
}

}  // namespace sslvpn::nvm
