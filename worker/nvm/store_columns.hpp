// The flows table's columns, declared once for every store (SQLite, PostgreSQL): each names a
// FlowRecord member; CREATE, INSERT/COPY and SELECT statements are all made from this list.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "worker/nvm/flow.hpp"

namespace sslvpn::nvm {

using ColumnMember =
    std::variant<std::string FlowRecord::*, int64_t FlowRecord::*, uint64_t FlowRecord::*,
                 uint32_t FlowRecord::*, uint16_t FlowRecord::*, uint8_t FlowRecord::*, IpAddr FlowRecord::*>;

struct Column {
  const char* name;
  ColumnMember m;
};

std::span<const Column> flow_columns();
// "start_ms,end_ms,...": every column, in order.
std::string column_list();

enum class ColumnType { Integer, Text, Address };
ColumnType column_type(const Column& c);

// The value as text, or nullopt for NULL (empty text, no address): an empty string would cost
// a byte per row per column.
std::optional<std::string> column_text(const FlowRecord& f, const Column& c);
int64_t column_int(const FlowRecord& f, const Column& c);
// Sets the member from a stored value (NULL: `text` is nullopt).
void set_column(FlowRecord& f, const Column& c, std::optional<std::string_view> text);

}  // namespace sslvpn::nvm
