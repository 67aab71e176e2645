// CSTP and DTLS compression (ocserv's `compression`): the client offers methods in
// X-CSTP-Accept-Encoding / X-DTLS-Accept-Encoding ("oc-lz4,lzs"; openconnect >= 8.20 writes
// ",oc-lz4,lzs"), the server names one per channel in X-CSTP-Content-Encoding /
// X-DTLS-Content-Encoding, and each side may then send a packet as a COMPRESSED (type 8) frame
// of its own: one IP packet, compressed alone. Pure functions of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sslvpn::cstp {

enum class Codec : uint8_t { None, Lz4, Lzs };

// The name on the wire ("oc-lz4", "lzs"; "" for None).
std::string_view codec_name(Codec c) noexcept;
// The codec a name stands for (the wire names and "lz4"); nullopt if none.
std::optional<Codec> codec_from_name(std::string_view name) noexcept;

// Our first choice in `ours` (the server's order) that the client's comma list offers; None
// when nothing matches. Names are compared without regard to case; spaces are trimmed.
Codec choose_codec(std::string_view client_list, std::span<const Codec> ours) noexcept;

// The largest packet a COMPRESSED frame may expand to (ocserv's and openconnect's 16 KB).
inline constexpr size_t kMaxDecompressed = 16384;

// Compresses `in` into `out`; the size only when it is smaller than the input (else nullopt:
// send the packet as it is). `out` must hold in.size() bytes.
std::optional<size_t> compress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept;
// Decompresses into `out`; nullopt when malformed or larger than `out`.
std::optional<size_t> decompress(Codec c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept;

}  // namespace sslvpn::cstp
