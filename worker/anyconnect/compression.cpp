#include "worker/anyconnect/compression.hpp"

#include <lz4.h>

#include <algorithm>
#include <climits>

#include "common/text.hpp"
#include "worker/anyconnect/lzs.hpp"

namespace sslvpn::cstp {
namespace {

bool offered(std::string_view list, Codec c) {
  while (!list.empty()) {  // bounded: each round removes a token
    size_t comma = list.find(',');
    std::string_view token = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (!token.empty() && iequals(token, codec_name(c))) return true;
  }
  return false;
}

}  // namespace

std::string_view codec_name(Codec c) noexcept {
  switch (c) {
    case Codec::Lz4:
      return "oc-lz4";
    case Codec::Lzs:
      return "lzs";
    case Codec::None:
      break;
  }
  return "";
}

std::optional<Codec> codec_from_name(std::string_view name) noexcept {
  if (iequals(name, "oc-lz4") || iequals(name, "lz4")) return Codec::Lz4;
  if (iequals(name, "lzs")) return Codec::Lzs;
  return std::nullopt;
}

Codec choose_codec(std::string_view client_list, std::span<const Codec> ours) noexcept {
  for (Codec c : ours)
    if (c != Codec::None && offered(client_list, c)) return c;
  return Codec::None;
}

std::optional<size_t> compress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept {
  if (in.size() < 2 || out.size() < in.size() || in.size() > INT_MAX) return std::nullopt;
  auto room = out.first(in.size() - 1);  // worth sending only when smaller
  std::optional<size_t> n;
  if (c == Codec::Lz4) {
    int r =
        LZ4_compress_default(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(room.data()),
                             static_cast<int>(in.size()), static_cast<int>(room.size()));
    if (r > 0) n = static_cast<size_t>(r);
  } else if (c == Codec::Lzs) {
    n = lzs_compress(in, room);
  }
  return n;
}

std::optional<size_t> decompress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept {
  if (in.empty() || in.size() > INT_MAX || out.size() > INT_MAX) return std::nullopt;
  if (c == Codec::Lz4) {
    int r = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                                static_cast<int>(in.size()), static_cast<int>(out.size()));
    if (r <= 0) return std::nullopt;
    return static_cast<size_t>(r);
  }
  if (c == Codec::Lzs) return lzs_decompress(in, out);
  return std::nullopt;
}

}  // namespace sslvpn::cstp
