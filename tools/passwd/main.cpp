// sslvpnd-passwd: manages ocpasswd-format password files, with ocpasswd's options.
//   sslvpnd-passwd [-c FILE] [-g GROUPS] [-d | -l | -u] USER
// The password is asked twice on a terminal, or read as one line from standard input.
#include <crypt.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"

using namespace sslvpn;

namespace {

constexpr const char* kDefaultFile = "/etc/sslvpnd/passwd";
// SHA-512-crypt: read by every libcrypt and by ocserv, and cheap enough for many logins/s.
constexpr const char* kHashPrefix = "$6$";

void usage(FILE* f) {
  std::fprintf(f,
               "Usage: sslvpnd-passwd [OPTIONS] USERNAME\n"
               "Manage an sslvpnd (ocserv ocpasswd-compatible) password file.\n\n"
               "  -c, --passwd FILE   password file (default %s)\n"
               "  -g, --group GROUPS  comma-separated groups of the user\n"
               "  -d, --delete        delete the user\n"
               "  -l, --lock          lock the user\n"
               "  -u, --unlock        unlock the user\n"
               "  -v, --version       print the version\n"
               "  -h, --help          this text\n"
               "Without -d/-l/-u the user is added or its password changed; the password is read\n"
               "from the terminal (twice) or as one line from standard input.\n",
               kDefaultFile);
}

bool read_password_line(const char* prompt, SecretBytes* out) {
  bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::fputs(prompt, stderr);
    ::tcgetattr(STDIN_FILENO, &old);
    termios noecho = old;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fputs("\n", stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  *out = SecretBytes(line);
  wipe_string(line);
  return ok;
}

std::string hash_password(const SecretBytes& pw) {
  char salt_setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(kHashPrefix, 0, nullptr, 0, salt_setting, sizeof salt_setting) == nullptr) return {};
  crypt_data data{};
  const char* h = crypt_rn(pw.c_str(), salt_setting, &data, sizeof data);
  std::string out = (h != nullptr && h[0] != '*') ? h : "";
  secure_wipe(&data, sizeof data);
  return out;
}

std::vector<std::string> split_groups(const std::string& s, bool* ok) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string g;
  *ok = true;
  while (std::getline(ss, g, ',')) {
    while (!g.empty() && g.front() == ' ') g.erase(0, 1);
    while (!g.empty() && g.back() == ' ') g.pop_back();
    if (g.empty() || g == "*") continue;
    if (!valid_group_name(g)) *ok = false;
    out.push_back(g);
  }
  return out;
}

// Writes via a temporary file and rename, so a crash never leaves half a file.
bool write_file(const std::string& path, const std::vector<std::string>& lines) {
  std::string tmp = path + ".tmpXXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return false;
  ::fchmod(fd, 0600);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  static const option kLong[] = {
      {"passwd", required_argument, nullptr, 'c'}, {"group", required_argument, nullptr, 'g'},
      {"delete", no_argument, nullptr, 'd'},       {"lock", no_argument, nullptr, 'l'},
      {"unlock", no_argument, nullptr, 'u'},       {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},         {nullptr, 0, nullptr, 0},
  };
  std::string file = kDefaultFile, groups_arg;
  bool have_groups = false;
  char action = 0;
  int c;
  while ((c = getopt_long(argc, argv, "c:g:dluvh", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c':
        file = optarg;
        break;
      case 'g':
        groups_arg = optarg;
        have_groups = true;
        break;
      case 'd':
      case 'l':
      case 'u':
        if (action != 0 && action != c) {
          std::fprintf(stderr, "sslvpnd-passwd: -d, -l and -u exclude each other\n");
          return 2;
        }
        action = static_cast<char>(c);
        break;
      case 'v':
        std::printf("sslvpnd-passwd %s\n", SSLVPND_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return 2;
  }
  std::string user = argv[optind];
  if (!valid_user_name(user)) {
    std::fprintf(stderr, "sslvpnd-passwd: invalid user name '%s'\n", user.c_str());
    return 2;
  }
  bool groups_ok = true;
  std::vector<std::string> groups = split_groups(groups_arg, &groups_ok);
  if (!groups_ok) {
    std::fprintf(stderr, "sslvpnd-passwd: invalid group name in '%s'\n", groups_arg.c_str());
    return 2;
  }

  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    std::string l;
    while (in && std::getline(in, l)) lines.push_back(l);
  }
  int index = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto e = parse_passwd_line(lines[i]);
    if (e.ok() && e->user == user) index = static_cast<int>(i);
  }

  if (action == 'd' || action == 'l' || action == 'u') {
    if (index < 0) {
      std::fprintf(stderr, "sslvpnd-passwd: user '%s' not found in %s\n", user.c_str(), file.c_str());
      return 1;
    }
    if (action == 'd') {
      lines.erase(lines.begin() + index);
    } else {
      PasswdEntry e = parse_passwd_line(lines[static_cast<size_t>(index)]).value();
      e.locked = action == 'l';
      lines[static_cast<size_t>(index)] = format_passwd_line(e);
    }
  } else {
    SecretBytes pw, again;
    if (!read_password_line("Enter password: ", &pw)) {
      std::fprintf(stderr, "sslvpnd-passwd: no password given\n");
      return 1;
    }
    if (::isatty(STDIN_FILENO)) {
      if (!read_password_line("Re-enter password: ", &again) || again.view() != pw.view()) {
        std::fprintf(stderr, "sslvpnd-passwd: passwords do not match\n");
        return 1;
      }
    }
    if (pw.empty()) {
      std::fprintf(stderr, "sslvpnd-passwd: empty password refused\n");
      return 1;
    }
    PasswdEntry e;
    if (index >= 0) e = parse_passwd_line(lines[static_cast<size_t>(index)]).value();
    e.user = user;
    if (have_groups) e.groups = groups;
    e.hash = hash_password(pw);
    if (e.hash.empty()) {
      std::fprintf(stderr, "sslvpnd-passwd: crypt() failed\n");
      return 1;
    }
    if (index >= 0)
      lines[static_cast<size_t>(index)] = format_passwd_line(e);
    else
      lines.push_back(format_passwd_line(e));
  }
  if (!write_file(file, lines)) {
    std::fprintf(stderr, "sslvpnd-passwd: cannot write %s: %s\n", file.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}
