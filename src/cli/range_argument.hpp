// The --range START-END argument shared by the commands: END inclusive, as in an HTTP Range
// header ("0-99" is the first 100 bytes); "START-" runs to the end of the content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "peerdist/util/expected.hpp"

namespace peerdist::cli {

struct RangeArgument {
  std::uint64_t start = 0;
  std::optional<std::uint64_t> end_exclusive;  // nullopt: to the end of the content
};

// Errors name the option and say what is wrong.
[[nodiscard]] Expected<RangeArgument, std::string> parse_range(std::string_view text);

}  // namespace peerdist::cli
