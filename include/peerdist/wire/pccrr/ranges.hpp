// BLOCK_RANGE and SEGMENT_RANGE (spec digest §1.2): {Index, Count}, 8 bytes on the wire.
#pragma once

#include <cstdint>

#include "peerdist/pccrc/types.hpp"

namespace peerdist::wire::pccrr {

// Blocks index .. index + count - 1 of one segment; count >= 1. [42, 7] = blocks 42..48.
struct BlockRange {
  pccrc::BlockIndex index;  // Index
  std::uint32_t count = 0;  // Count
  friend constexpr bool operator==(BlockRange, BlockRange) = default;
};

// Entries first .. first + count - 1 of the SegmentIDs of the MSG_GETSEGLIST being answered
// (0-based positions in that request, not segment indices of any content); count >= 1.
struct SegmentRange {
  std::uint32_t first = 0;  // Index
  std::uint32_t count = 0;  // Count
  friend constexpr bool operator==(SegmentRange, SegmentRange) = default;
};

}  // namespace peerdist::wire::pccrr
