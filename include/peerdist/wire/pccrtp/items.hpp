// The generic "name=value, name=value" list both PeerDist headers use (spec digest §2: the ABNF
// is sloppy, so parse a list of items separated by commas with optional whitespace; names are
// case-insensitive; what a name means is up to the header's own parser).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::wire::pccrtp {

struct Item {
  std::string_view name;   // as written (compare with iequals)
  std::string_view value;  // without surrounding whitespace; may be empty
  std::size_t offset = 0;  // where the item's name starts in the header value
};

// Splits a header value into items. Empty list elements (",,", a trailing ",") are skipped as
// HTTP lists allow. Refused: a value longer than kMaxItemListLength, an element without '=',
// a name that is not an HTTP token, a value with control characters or inner whitespace.
[[nodiscard]] Expected<std::vector<Item>, util::DecodeError> parse_items(std::string_view header);

// ASCII case-insensitive equality (header names, item names, tokens).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

// "true" or "false" in any case; nullopt for anything else.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view value) noexcept;

}  // namespace peerdist::wire::pccrtp
