// X-P2P-PeerDist (spec digest §2): Version in requests and responses, ContentLength in
// responses, MissingDataRequest in requests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrtp/version.hpp"

namespace peerdist::wire::pccrtp {

struct PeerDistHeader {
  std::optional<Version> version;
  std::optional<std::uint64_t> content_length;  // length of the identity-coded body
  std::optional<bool> missing_data_request;     // absent, true or false
  friend bool operator==(const PeerDistHeader&, const PeerDistHeader&) = default;
};

// Parses the header value. Unknown items are ignored; a known item given twice, a Version that
// is not digits.digits, a ContentLength that is not digits within 64 bits, or a
// MissingDataRequest other than true/false refuse the whole header (the server then answers
// with the plain content: spec digest §4, rule 3).
[[nodiscard]] Expected<PeerDistHeader, util::DecodeError> parse_peerdist_header(
    std::string_view value);

// The items present, in Windows' order and spelling: "Version=1.1, ContentLength=184946",
// "Version=1.1, MissingDataRequest=true". Empty when nothing is set.
[[nodiscard]] std::string format_peerdist_header(const PeerDistHeader& header);

}  // namespace peerdist::wire::pccrtp
