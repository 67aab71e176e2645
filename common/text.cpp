#include "common/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>

#include "common/secret_bytes.hpp"

namespace sslvpn {

std::string_view trim(std::string_view s) noexcept {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool colon_list_contains(std::string_view list, std::string_view item) noexcept {
  while (!list.empty()) {
    auto colon = list.find(':');
    if (list.substr(0, colon) == item) return true;
    list = colon == std::string_view::npos ? std::string_view{} : list.substr(colon + 1);
  }
  return false;
}

std::optional<std::string> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  secure_wipe(buf, sizeof buf);
  bool ok = !std::ferror(f);
  std::fclose(f);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_regular_file(const std::string& path, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    std::string data(limit + 1, '\0');
    size_t got = 0;
    bool ok = true;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = n == 0;
        break;
      }
      got += static_cast<size_t>(n);
    }
    if (ok) {
      data.resize(got);
      out = std::move(data);
    }
  }
  ::close(fd);
  return out;
}

std::string replace_control_chars(std::string in, char with) {
  for (auto& c : in)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = with;
  return in;
}

std::string xml_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') break;  // not allowed in XML 1.0
        out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool openvpn_words(std::string_view line, std::vector<std::string>& words) {
  words.clear();
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    if (i >= line.size() || line[i] == '#' || line[i] == ';') break;
    std::string w;
    char q = line[i] == '"' || line[i] == '\'' ? line[i] : '\0';
    if (q) ++i;
    bool closed = false;
    while (i < line.size()) {
      char c = line[i++];
      if (c == '\\' && q != '\'' && i < line.size()) {
        w += line[i++];
      } else if (q ? c == q : blank(c)) {
        closed = true;
        break;
      } else {
        w += c;
      }
    }
    if (q && !closed) return false;
    words.push_back(std::move(w));
  }
  return true;
}

bool is_dns_host_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char ch : name) {
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (ch == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (alnum || (ch == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = ch;
  }
  return label > 0 && prev != '-';
}

}  // namespace sslvpn
