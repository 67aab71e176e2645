// sec-mod's SHA-512-crypt against the specification's published vectors and against
// libxcrypt, byte for byte, over random passwords, salts and round counts.
#include <crypt.h>

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>

#include "sec-mod/plain_auth.hpp"
#include "sec-mod/sha512_crypt.hpp"

using sslvpn::secmod::sha512_crypt;

namespace {

std::string libxcrypt(const std::string& pw, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  return out != nullptr && out[0] != '*' ? std::string(out) : std::string();
}

}  // namespace

TEST_CASE("sha512-crypt: the specification's vectors", "[secmod][sha512crypt]") {
  // From "Unix crypt using SHA-256 and SHA-512" (Drepper), the SHA-512 test table.
  CHECK(
      sha512_crypt("Hello world!", "$6$saltstring") ==
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
  // Salts past 16 characters (libxcrypt cuts them) are left to libxcrypt: crypt_hash.
  CHECK(sslvpn::secmod::crypt_hash("Hello world!", "$6$rounds=10000$saltstringsaltstring") ==
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/"
        "UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.");
  CHECK(sslvpn::secmod::crypt_hash("This is just a test", "$6$rounds=5000$toolongsaltstring") ==
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/"
        "e1JSbq3y6JMxxl8audkUEm0");
  CHECK(sha512_crypt("This is just a test", "$6$rounds=5000$toolongsaltstrin") ==
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/"
        "e1JSbq3y6JMxxl8audkUEm0");
}

TEST_CASE("sha512-crypt: equals libxcrypt over random inputs", "[secmod][sha512crypt]") {
  std::mt19937 rng(20261203);
  const std::string alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 150; ++i) {
    std::string pw(rng() % (i < 100 ? 40 : 300), '\0');
    for (auto& c : pw) c = static_cast<char>(1 + rng() % 255);  // any byte but NUL
    std::string salt(1 + rng() % 16, '.');
    for (auto& c : salt) c = alphabet[rng() % alphabet.size()];
    std::string setting = "$6$";
    if (rng() % 3 == 0) setting += "rounds=" + std::to_string(1000 + rng() % 2000) + "$";
    setting += salt;
    if (rng() % 2) setting += "$";
    INFO("case " << i << ": " << setting << ", password of " << pw.size() << " bytes");
    auto ours = sha512_crypt(pw, setting);
    REQUIRE(ours.has_value());
    CHECK(*ours == libxcrypt(pw, setting));
  }
}

TEST_CASE("sha512-crypt: a stored hash is its own setting", "[secmod][sha512crypt]") {
  std::string stored = libxcrypt("s3cret", "$6$rounds=1500$abcdEFGH");
  REQUIRE(!stored.empty());
  CHECK(sha512_crypt("s3cret", stored) == stored);
  CHECK(sha512_crypt("s3creT", stored) != stored);
  CHECK(sslvpn::secmod::crypt_hash("s3cret", stored) == stored);
}

TEST_CASE("sha512-crypt: what it does not take exactly as libxcrypt does is left to it",
          "[secmod][sha512crypt]") {
  for (const char* s :
       {"$5$abc$", "$6$", "$6$$", "$6$rounds=999$abc$", "$6$rounds=01000$abc$", "$6$rounds=1000000000$abc$",
        "$6$rounds=$abc$", "$6$rounds=1000abc$", "$6$ab:c$", "$6$abcdefghijklmnopq$", "$6$ab\ncd$", "$1$abc$",
        "", "*", "$6$abc$\xff", "$6$abc$de:f", "$6$abc$def$"}) {
    INFO(s);
    CHECK_FALSE(sha512_crypt("pw", s).has_value());
  }
  CHECK_FALSE(sha512_crypt(std::string("p\0w", 3), "$6$abc$").has_value());
  // libxcrypt refuses passwords of 512 bytes and more: so does crypt_hash.
  CHECK_FALSE(sha512_crypt(std::string(512, 'x'), "$6$abc$").has_value());
  CHECK(sslvpn::secmod::crypt_hash(std::string(512, 'x'), "$6$abc$").empty());
  CHECK(sha512_crypt(std::string(511, 'x'), "$6$abc$") == libxcrypt(std::string(511, 'x'), "$6$abc$"));
  CHECK(sslvpn::secmod::sha512_crypt_agrees_with_libxcrypt());
}
