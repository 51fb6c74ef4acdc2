// Internal to the codec: what decode_request() and decode_response() check of a header before
// they read the body.
#pragma once

#include <cstdint>
#include <span>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"

#include "framing.hpp"

namespace peerdist::wire::pccrr::detail {

// decode_header(), then: the type belongs to the direction, and the major version is one whose
// layouts this codec knows (any version for MSG_NEGO_REQ / MSG_NEGO_RESP).
[[nodiscard]] Expected<MessageHeader, util::DecodeError> decode_header_of(
    std::span<const std::uint8_t> message, Framing framing);

}  // namespace peerdist::wire::pccrr::detail
