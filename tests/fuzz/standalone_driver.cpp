// Runs a libFuzzer target without libFuzzer: replays every corpus file given on the command
// line (files or directories), then feeds a bounded number of deterministic mutations of them.
// Built when -Dfuzzing=false, so the corpus is exercised by the ordinary test suite.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void collect(const std::string& path, std::vector<std::string>* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") collect(path + "/" + n, out);
    }
    ::closedir(d);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  out->push_back(ss.str());
}

void run(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> corpus;
  long iterations = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0)
      iterations = std::strtol(a.c_str() + 6, nullptr, 10);
    else
      collect(a, &corpus);
  }
  corpus.push_back("");
  for (const auto& c : corpus) run(c);
  std::mt19937 rng(12345);  // deterministic: a failure reproduces
  for (long i = 0; i < iterations; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
          break;
        case 1:
          s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % s.size()), static_cast<char>(rng()));
          break;
        case 2:
          if (!s.empty()) s.erase(rng() % s.size(), 1 + rng() % 16);
          break;
        case 3:
          if (!s.empty()) s.append(s.substr(rng() % s.size(), rng() % 64));
          break;
      }
    }
    run(s);
  }
  std::printf("%zu corpus inputs and %ld mutations ran without a crash\n", corpus.size(), iterations);
  return 0;
}
