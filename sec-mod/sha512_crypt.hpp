// sec-mod: SHA-512-crypt (`$6$`, U. Drepper's "Unix crypt using SHA-256 and SHA-512") on
// OpenSSL's SHA-512.
//
// Why: verifying a password hash is the largest cost of a password login (5000 rounds of
// SHA-512 by default). libxcrypt computes them with its own portable C SHA-512 in 1.52 ms on
// the test machine; OpenSSL's assembly SHA-512 needs 1.1 ms for the same rounds (issue 19).
// The algorithm is public and fixed; the output must equal libxcrypt's byte for byte, which
// the unit tests check over many inputs and sec-mod checks once more before first use
// (crypt_hash falls back to libxcrypt if it ever disagrees).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sslvpn::secmod {

// The crypt(3) string for `password` with a `$6$` setting (or a whole stored hash: what
// follows the salt is ignored), or nullopt for anything this does not take exactly as
// libxcrypt does; the caller then asks libxcrypt. Taken: `$6$`, optionally `rounds=N$` (N
// from 1000 to 999999999, no leading zero), then a salt of 1 to 16 characters from
// [./0-9A-Za-z] ending at the end or at `$` (then at most 86 more of them); a password shorter than 512 bytes
// (libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE refuses longer ones) with no NUL.
std::optional<std::string> sha512_crypt(std::string_view password, std::string_view setting);

// True when sha512_crypt equals libxcrypt's crypt_rn on fixed vectors (default and custom
// rounds, short and long passwords and salts). Computed once.
bool sha512_crypt_agrees_with_libxcrypt();

}  // namespace sslvpn::secmod
