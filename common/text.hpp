// Small text and file helpers shared by the configuration, password-file and key loaders.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sslvpn {

// Strips spaces, tabs and carriage returns at both ends.
std::string_view trim(std::string_view s) noexcept;
// Equal but for ASCII letter case (protocol names, header values).
bool iequals(std::string_view a, std::string_view b) noexcept;
// ASCII lower case.
std::string lowercase(std::string_view s);

// Whether a colon-separated list ("A:B:C", as in X-DTLS-CipherSuite) has `item`.
bool colon_list_contains(std::string_view list, std::string_view item) noexcept;

// Escapes text for XML content and attributes; drops characters XML 1.0 cannot carry.
std::string xml_escape(std::string_view in);

// The whole content of a file, or nullopt if it cannot be read. Read straight into the result,
// so a key file leaves no copy behind in a stream's buffers.
std::optional<std::string> read_file(const std::string& path);
// A regular file of at most `limit` bytes (more: the first limit + 1, for the caller to refuse);
// nullopt when it cannot be opened or is not a regular file (a FIFO would block).
std::optional<std::string> read_regular_file(const std::string& path, size_t limit);

// `in` with its control characters (below 0x20, and DEL) replaced by `with`: text a peer
// chose, before it reaches a log line or a script's environment.
std::string replace_control_chars(std::string in, char with);

// An RFC 1123 host name: labels of 1 to 63 letters, digits and '-' (not first or last), joined
// by '.', 253 characters at most. What a host name a client chose must be before a script that
// publishes it (host-update-script) gets it.
bool is_dns_host_name(std::string_view name) noexcept;

// One line of an openvpn configuration in words, as openvpn's parse_line reads it: blanks
// separate words; a word that starts with '#' or ';' starts a comment; "..." and '...' make one
// word (a word starting with a quote ends at the closing one); a backslash takes the next
// character as it is, except inside '...'. False: an unterminated quote.
bool openvpn_words(std::string_view line, std::vector<std::string>& words);

}  // namespace sslvpn
