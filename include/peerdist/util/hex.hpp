// Lower-case hex, the form every vector file, log line and JSON output uses for bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peerdist::util {

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case; nullopt for odd length or a non-hex character.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace peerdist::util
