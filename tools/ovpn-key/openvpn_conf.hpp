// An openvpn configuration file read as openvpn reads one (options.c's read_config_file): a
// directive per line, in words (common/text.hpp's openvpn_words: quotes, backslashes, '#' and
// ';' comments), its name without a leading "--"; and inline files, a line "<tag>" up to the
// line "</tag>", as one directive named by the tag with the lines between as its text.
// A pure function of the bytes: fuzzed by tests/fuzz/fuzz_openvpn_conf.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::ovpnkey {

inline constexpr size_t kMaxOpenvpnConf = 1 << 20;        // bytes: openvpn's own files are far smaller
inline constexpr size_t kMaxOpenvpnDirectives = 1 << 14;  // directives and inline files

struct OpenvpnDirective {
  int line = 0;                    // where it starts, from 1
  std::vector<std::string> words;  // name first; an inline file: its tag alone
  std::string raw;                 // the line as written (without its end of line)
  bool is_inline = false;
  std::string inline_text;  // an inline file's lines, each with its "\n"
};

// Malformed (an unterminated quote, an inline file without its end tag, a NUL byte) or Limit;
// `error` says which and on what line.
Result<std::vector<OpenvpnDirective>> parse_openvpn_conf(std::string_view text, std::string* error);

}  // namespace sslvpn::ovpnkey
