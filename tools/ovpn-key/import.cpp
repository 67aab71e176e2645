// sslvpnd-ovpn-key import: reads an openvpn server configuration directive by directive (with
// its inline files and `config` includes) through the handler tables of import_handlers.cpp
// and import_logins.cpp; import_out.cpp writes what they gathered. run_import is the command.
#include "tools/ovpn-key/import.hpp"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "tools/ovpn-key/import_handlers.hpp"
#include "tools/ovpn-key/import_state.hpp"
#include "tools/ovpn-key/key_files.hpp"
#include "tools/ovpn-key/openvpn_conf.hpp"

namespace sslvpn::ovpnkey {
namespace {

constexpr int kMaxIncludeDepth = 10;  // openvpn's own limit on nested `config` files

const HandlerTable& handlers() {
  static const HandlerTable h = [] {
    HandlerTable t;
    add_network_handlers(t);
    add_login_handlers(t);
    add_noted_handlers(t);
    return t;
  }();
  return h;
}

void inline_file(ImportState& s, const OpenvpnDirective& d) {
  static const std::map<std::string, std::string> kinds = {{"ca", "ca.pem"},
                                                           {"cert", "cert.pem"},
                                                           {"key", "key.pem"},
                                                           {"tls-crypt", "tls-crypt.key"},
                                                           {"tls-auth", "tls-auth.key"},
                                                           {"tls-crypt-v2", "tls-crypt-v2.key"},
                                                           {"crl-verify", "crl.pem"},
                                                           {"auth-gen-token-secret", "auth-token.key"}};
  const std::string& tag = d.words[0];
  Src src{d.line, "<" + tag + ">"};
  if (tag == "dh") return s.note(src, "not needed: sslvpnd's key exchange is ECDHE");
  if (tag == "peer-fingerprint")
    return s.fatal(src, "certificates checked by fingerprint: sslvpnd checks them against a CA ('ca FILE')");
  auto it = kinds.find(tag);
  if (it == kinds.end()) return s.warn(src, "an inline file sslvpnd has no use for; not carried over");
  std::string path = s.inline_path(it->second, d.inline_text, src);
  if (path.empty()) return;
  Words w = {tag, path};
  if (tag == "tls-crypt-v2" && d.inline_text.find("force-cookie") != std::string::npos)
    w.push_back("force-cookie");
  handlers().at(tag)(s, w, src);
}

void read_text(ImportState& s, std::string_view text, const std::string& name);

// config FILE: its directives, where the line stands (as openvpn reads it).
void include(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return s.warn(src, "no file named");
  if (s.depth >= kMaxIncludeDepth) return s.fatal(src, "'config' files nested too deep");
  if (!s.args.read_include) return s.fatal(src, "an included file, which this import cannot read");
  std::string file = s.path(w[1]);
  auto text = s.args.read_include(file);
  if (!text) return s.fatal(src, "cannot read the included '" + file + "'");
  ++s.depth;
  read_text(s, *text, file);
  --s.depth;
  wipe_string(*text);
}

void read_text(ImportState& s, std::string_view text, const std::string& name) {
  std::string error;
  auto directives = parse_openvpn_conf(text, &error);
  if (!directives.ok()) return s.fatal({}, (s.depth ? name + ": " : std::string()) + error);
  for (auto& d : *directives) {
    Src src{d.line, s.depth ? name + ": " + d.raw : d.raw};
    if (d.is_inline) {
      inline_file(s, d);
    } else if (d.words[0] == "cd" && d.words.size() > 1) {
      s.base_dir = s.path(d.words[1]);
    } else if (d.words[0] == "config") {
      include(s, d.words, src);
    } else if (auto it = handlers().find(d.words[0]); it != handlers().end()) {
      it->second(s, d.words, src);
    } else if (!import_housekeeping(d.words[0])) {
      s.warn(src, "not carried over");
    }
    wipe_string(d.inline_text);
    if (!s.error.empty()) return;
  }
}

}  // namespace

Result<ImportResult> import_openvpn_server(std::string_view text, const ImportArgs& a, std::string* error) {
  ImportState s(a);
  read_text(s, text, a.source);
  return s.finish(error);
}

namespace {

int import_fail(const std::string& why) {
  std::fprintf(stderr, "sslvpnd-ovpn-key import: %s\n", why.c_str());
  return 1;
}

std::string absolute(const std::string& p) {
  if (p.starts_with("/")) return p;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
}

// The directory openvpn resolved relative paths from: its --cd, on Debian the file's own.
std::string directory_of(const std::string& file) {
  std::string dir = file.find('/') == std::string::npos ? "." : file.substr(0, file.rfind('/'));
  if (dir.empty()) dir = "/";
  char real[PATH_MAX];
  return ::realpath(dir.c_str(), real) ? std::string(real) : absolute(dir);
}

constexpr const char* kUsage =
    "usage: sslvpnd-ovpn-key import [--cd DIR] [--accept-weaker] [-o OUT.conf] SERVER.conf [SERVER2.conf]";

// Writes the inline files and the configuration, none of which may exist yet.
int write_result(ImportResult& r, const std::string& out) {
  for (const auto& f : r.files)
    if (::access(f.path.c_str(), F_OK) == 0) return import_fail("'" + f.path + "' exists; nothing written");
  if (::access(out.c_str(), F_OK) == 0) return import_fail("'" + out + "' exists; nothing written");
  bool written = true;
  for (auto& f : r.files) {
    written = written && write_new(f.path, f.text);
    wipe_string(f.text);  // a <key> or <tls-crypt> block
  }
  if (!written || !write_new(out, r.config)) return 1;
  std::string left = r.warnings.empty() ? ""
                                        : " (" + std::to_string(r.warnings.size()) +
                                              " setting(s) left out, listed at its end)";
  std::fprintf(stderr, "sslvpnd-ovpn-key import: wrote %s%s; check it with sslvpnd -t -c %s\n", out.c_str(),
               left.c_str(), out.c_str());
  return 0;
}

// One openvpn file, imported: its text read, relative paths from its directory (or --cd).
Result<ImportResult> import_file(ImportArgs args, const std::string& source, const std::string& cd,
                                 std::string* error) {
  args.source = source;
  auto text = read_regular_file(source, kMaxOpenvpnConf);
  if (!text) {
    *error = "cannot read '" + source + "'";
    return Errc::Io;
  }
  args.base_dir = cd.empty() ? directory_of(source) : directory_of(cd + "/.");
  args.read_include = [](const std::string& path) { return read_regular_file(path, kMaxOpenvpnConf); };
  auto r = import_openvpn_server(*text, args, error);
  wipe_string(*text);
  if (!r.ok()) *error = source + ": " + *error;
  return r;
}

}  // namespace

int run_import(const std::vector<std::string>& a) {
  ImportArgs args;
  std::string cd;
  std::vector<std::string> sources;
  bool accept_weaker = false;
  for (size_t i = 1; i < a.size(); ++i) {
    bool value = i + 1 < a.size();
    if ((a[i] == "-o" || a[i] == "--output") && value) {
      args.out = absolute(a[++i]);
    } else if (a[i] == "--cd" && value) {
      cd = a[++i];
    } else if (a[i] == "--accept-weaker") {
      accept_weaker = true;
    } else if (sources.size() < 2 && !a[i].starts_with("-")) {
      sources.push_back(a[i]);
    } else {
      return import_fail(kUsage);
    }
  }
  if (sources.empty()) return import_fail(kUsage);
  std::string error;
  auto r = import_file(args, sources[0], cd, &error);
  if (!r.ok()) return import_fail(error);
  if (sources.size() == 2) {
    auto second = import_file(args, sources[1], cd, &error);
    if (!second.ok()) return import_fail(error);
    r = merge_imports(std::move(*r), sources[0], std::move(*second), sources[1], &error);
    if (!r.ok()) return import_fail("nothing written: " + error);
  }
  for (const auto& w : r->warnings)
    std::fprintf(stderr, "sslvpnd-ovpn-key import: not carried over: %s\n", w.c_str());
  if (!r->weakened.empty() && !accept_weaker)
    return import_fail("nothing written: clients would get in with less checking than openvpn made (above: " +
                       std::to_string(r->weakened.size()) +
                       " check(s)); replace them, or give --accept-weaker to write the file anyway");
  if (args.out.empty()) {
    std::fwrite(r->config.data(), 1, r->config.size(), stdout);
    return 0;
  }
  return write_result(*r, args.out);
}

}  // namespace sslvpn::ovpnkey
