// What the MS-PCCRR server answers from what this machine holds (spec digest §1.11 step 4,
// A11): the pure part of MSG_BLKLIST, MSG_BLK and MSG_SEGLIST, apart from sockets and the
// cache, so that every rule is tested on values. The client's check of a MSG_BLKLIST against
// its request is here too: both sides reason about the same ranges.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "peerdist/net/segment_source.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/wire/pccrr/ranges.hpp"

namespace peerdist::net {

struct BlockListAnswer {
  std::vector<wire::pccrr::BlockRange> ranges;  // sorted, disjoint, adjacent ones merged
  pccrc::BlockIndex next_block_index;           // 0 = none
  friend bool operator==(const BlockListAnswer&, const BlockListAnswer&) = default;
};

// MSG_BLKLIST: the requested blocks held (`requested` may be unsorted or overlapping, as the
// spec lets a client send), and A11's NextBlockIndex: the first held block at or past the end
// of the furthest requested range, else 0. Nothing held (nullopt) gives no ranges and 0. At
// most wire::pccrr::kMaxBlockRanges ranges (what a 512-block segment can need); a longer
// answer is cut there, which only hides blocks: the list is a hint, GETBLKS decides.
[[nodiscard]] BlockListAnswer answer_block_list(std::span<const wire::pccrr::BlockRange> requested,
                                                const std::optional<SegmentHoldings>& holdings);

// MSG_GETBLKS names "the lowest-index block" when it asks for several (§1.11): the smallest
// Index of its ranges. `requested` is not empty (the decoder guarantees one range).
[[nodiscard]] pccrc::BlockIndex lowest_requested_block(
    std::span<const wire::pccrr::BlockRange> requested) noexcept;

struct SegmentListAnswer {
  std::vector<wire::pccrr::SegmentRange> ranges;  // positions of held segments, merged
  std::vector<std::uint8_t> extensible_blob;      // segment ages (empty when none is held)
  friend bool operator==(const SegmentListAnswer&, const SegmentListAnswer&) = default;
};

// MSG_SEGLIST: the positions (in the request) of segments held fully or partly, and a version 1
// extensible blob with each one's age in centiseconds (A19). ENCODED_SEGMENT_AGE indexes are
// one byte, so only the first 256 positions can carry an age (at most 255 of them): later ones
// are listed without.
[[nodiscard]] SegmentListAnswer answer_segment_list(
    std::span<const std::optional<SegmentHoldings>> holdings);

// The client's rule for MSG_BLKLIST (§1.10): every block of `reply` lies within the blocks of
// `requested`. Ranges of count 0, or running past block index 2^32 - 1, are never within.
[[nodiscard]] bool ranges_within(std::span<const wire::pccrr::BlockRange> reply,
                                 std::span<const wire::pccrr::BlockRange> requested);

}  // namespace peerdist::net
