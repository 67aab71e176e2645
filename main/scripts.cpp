#include "main/scripts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/text.hpp"
#include "common/unique_fd.hpp"
#include "main/spawn.hpp"

namespace sslvpn::mainproc {

Result<pid_t> start_script(const std::string& path, const ScriptEnv& env,
                           const std::vector<std::string>& args) {
  std::vector<std::string> kv;
  kv.reserve(env.size() + 1);
  kv.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  // Values a client chose (user and host names, its user agent) reach the script with their
  // control characters (line breaks among them) replaced by '_', as openvpn does.
  for (const auto& [k, v] : env) kv.push_back(k + "=" + replace_control_chars(v, '_'));
  std::vector<std::string> argv{path};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn_helper(path, argv, {}, kv);
}

std::string prepare_connect_output_dir(const std::string& socket_file, std::string* error) {
  size_t slash = socket_file.rfind('/');
  std::string run =
      slash == std::string::npos ? "/run/sslvpnd" : socket_file.substr(0, std::max<size_t>(slash, 1));
  std::string dir = run + "/connect-script";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = dir + ": " + std::strerror(errno);
    return {};
  }
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    *error = dir + ": not a directory of this user's that only it may enter";
    return {};
  }
  DIR* d = ::fdopendir(::dup(fd.get()));
  if (d != nullptr) {
    for (dirent* e; (e = ::readdir(d)) != nullptr;)
      if (std::strncmp(e->d_name, "connect-output-", 15) == 0) ::unlinkat(fd.get(), e->d_name, 0);
    ::closedir(d);
  }
  return dir;
}

std::string make_connect_output_file(const std::string& dir) {
  std::string path = dir + "/connect-output-XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);  // 0600, O_EXCL: no one else's file or link
  if (fd < 0) return {};
  ::close(fd);
  return path;
}

std::optional<std::string> take_connect_output_file(const std::string& path, size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  int err = errno;
  struct stat st {};
  // A plain file (no FIFO to hang on), ours, not a hard link to another file (counted before
  // the name goes).
  bool plain = fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
               st.st_nlink == 1;
  ::unlink(path.c_str());
  if (!fd.valid())
    return err == ENOENT ? std::optional<std::string>("") : std::nullopt;  // the script removed it
  if (!plain) return std::nullopt;
  std::string out(limit + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace sslvpn::mainproc
