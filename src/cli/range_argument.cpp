#include "range_argument.hpp"

#include <charconv>
#include <limits>

namespace peerdist::cli {
namespace {

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Expected<RangeArgument, std::string> parse_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    return Unexpected("--range: expected START-END or START-, got '" + std::string(text) + "'");
  }
  const auto start = parse_number(text.substr(0, dash));
  if (!start) return Unexpected("--range: bad start in '" + std::string(text) + "'");
  RangeArgument out{*start, std::nullopt};
  const auto end_text = text.substr(dash + 1);
  if (end_text.empty()) return out;
  const auto last = parse_number(end_text);
  if (!last || *last < *start || *last == std::numeric_limits<std::uint64_t>::max()) {
    return Unexpected("--range: bad end in '" + std::string(text) +
                      "' (END is inclusive, >= START)");
  }
  out.end_exclusive = *last + 1;
  return out;
}

}  // namespace peerdist::cli
