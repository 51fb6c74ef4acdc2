// X-P2P-PeerDistEx (spec digest §2): the content information versions a client accepts
// (Min/MaxContentInformation), the server's MakeHashRequest signal, and the client's
// HashRequest follow-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrtp/version.hpp"

namespace peerdist::wire::pccrtp {

struct PeerDistExHeader {
  std::optional<Version> min_content_information;
  std::optional<Version> max_content_information;
  std::optional<bool> make_hash_request;
  std::optional<bool> hash_request;
  friend bool operator==(const PeerDistExHeader&, const PeerDistExHeader&) = default;
};

// Parses the header value; unknown items ignored, a known item given twice or with a malformed
// value refuses the header.
[[nodiscard]] Expected<PeerDistExHeader, util::DecodeError> parse_peerdist_ex_header(
    std::string_view value);

// "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true",
// "MakeHashRequest=true": the items present, in that order.
[[nodiscard]] std::string format_peerdist_ex_header(const PeerDistExHeader& header);

}  // namespace peerdist::wire::pccrtp
