// Small text and file helpers shared by the configuration, password-file and key loaders.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sslvpn {

// Strips spaces, tabs and carriage returns at both ends.
std::string_view trim(std::string_view s) noexcept;

// The whole content of a file, or nullopt if it cannot be read.
std::optional<std::string> read_file(const std::string& path);

}  // namespace sslvpn
