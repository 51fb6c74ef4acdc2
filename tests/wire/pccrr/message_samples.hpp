// Valid messages of every type, shared by the layout, round-trip and reject tests.
#pragma once

#include <cstdint>
#include <vector>

#include "peerdist/wire/pccrr/messages.hpp"

namespace peerdist::wire::pccrr::test {

using Bytes = std::vector<std::uint8_t>;

// A 32-byte segment ID 0x00, 0x01, ... + first (or `size` bytes of that pattern).
SegmentId segment_id(std::uint8_t first = 0, std::size_t size = 32);
RequestId request_id();

// Every request type, some more than once (odd ID sizes, so that pads appear).
std::vector<Request> request_samples();
// Every response type; MSG_BLKs view static storage that lives for the whole test program.
std::vector<Response> response_samples();

}  // namespace peerdist::wire::pccrr::test
