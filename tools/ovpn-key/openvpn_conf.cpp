#include "tools/ovpn-key/openvpn_conf.hpp"

#include "common/text.hpp"

namespace sslvpn::ovpnkey {
namespace {

Errc fail(std::string* error, int line, const std::string& why, Errc e = Errc::Malformed) {
  if (error) *error = line ? "line " + std::to_string(line) + ": " + why : why;
  return e;
}

// "<tag>" alone on its line (openvpn: one word, '<' first and '>' last, something between).
bool inline_start(const std::vector<std::string>& w, std::string* tag) {
  if (w.size() != 1 || w[0].size() < 3 || w[0].front() != '<' || w[0].back() != '>' || w[0][1] == '/')
    return false;
  *tag = w[0].substr(1, w[0].size() - 2);
  return true;
}

}  // namespace

Result<std::vector<OpenvpnDirective>> parse_openvpn_conf(std::string_view text, std::string* error) {
  if (text.size() > kMaxOpenvpnConf)
    return fail(error, 0, "the file is longer than " + std::to_string(kMaxOpenvpnConf) + " bytes",
                Errc::Limit);
  if (text.find('\0') != std::string_view::npos) return fail(error, 0, "the file holds a NUL byte");
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // a UTF-8 byte order mark
  std::vector<OpenvpnDirective> out;
  OpenvpnDirective* open_block = nullptr;
  std::string end_tag;
  int line_no = 0;
  size_t at = 0;
  std::vector<std::string> w;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (open_block) {
      if (trim(line) == end_tag) {
        open_block = nullptr;
      } else {
        open_block->inline_text.append(line).push_back('\n');  // bounded by the file's size
      }
      continue;
    }
    if (!openvpn_words(line, w)) return fail(error, line_no, "an unterminated quote");
    if (w.empty()) continue;
    if (out.size() >= kMaxOpenvpnDirectives)
      return fail(error, line_no, "more than " + std::to_string(kMaxOpenvpnDirectives) + " directives",
                  Errc::Limit);
    OpenvpnDirective d;
    d.line = line_no;
    d.raw = std::string(trim(line));
    std::string tag;
    if (inline_start(w, &tag)) {
      d.is_inline = true;
      d.words = {tag};
      end_tag = "</" + tag + ">";
    } else {
      if (w[0].starts_with("--")) w[0].erase(0, 2);
      d.words = std::move(w);
      w = {};
    }
    out.push_back(std::move(d));
    if (out.back().is_inline) open_block = &out.back();
  }
  if (open_block) return fail(error, open_block->line, "<" + open_block->words[0] + "> has no " + end_tag);
  return out;
}

}  // namespace sslvpn::ovpnkey
