#include "peerdist/net/pccrr_answers.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "peerdist/wire/pccrd/segment_ages.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

namespace peerdist::net {
namespace {

using wire::pccrr::BlockRange;
using wire::pccrr::SegmentRange;

// One past the last block of a range, in 64 bits: Index + Count may pass 2^32 in a request.
constexpr std::uint64_t end_of(BlockRange r) noexcept {
  return std::uint64_t{r.index.value()} + r.count;
}

// Blocks the holdings describe: `present` may be shorter than block_count (a source that
// knows fewer), never trusted past its end.
std::uint32_t known_blocks(const SegmentHoldings& h) noexcept {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(h.block_count, h.present.size()));
}

}  // namespace

BlockListAnswer answer_block_list(std::span<const BlockRange> requested,
                                  const std::optional<SegmentHoldings>& holdings) {
  BlockListAnswer answer;
  if (!holdings || requested.empty()) return answer;
  const std::uint32_t blocks = known_blocks(*holdings);
  // Which held blocks were asked for: at most `blocks` flags, whatever the ranges claim.
  std::vector<bool> wanted(blocks, false);
  std::uint64_t furthest_end = 0;
  for (const BlockRange r : requested) {
    const std::uint64_t end = end_of(r);
    furthest_end = std::max(furthest_end, end);
    for (std::uint64_t i = r.index.value(); i < std::min<std::uint64_t>(end, blocks); ++i) {
      wanted[i] = true;
    }
  }
  for (std::uint32_t i = 0; i < blocks; ++i) {
    if (!wanted[i] || !holdings->present[i]) continue;
    if (!answer.ranges.empty() && end_of(answer.ranges.back()) == i) {
      ++answer.ranges.back().count;
    } else if (answer.ranges.size() < wire::pccrr::kMaxBlockRanges) {
      answer.ranges.push_back({pccrc::BlockIndex{i}, 1});
    } else {
      break;
    }
  }
  // A11: the first held block past the furthest requested one.
  for (std::uint64_t i = furthest_end; i < blocks; ++i) {
    if (holdings->present[i]) {
      answer.next_block_index = pccrc::BlockIndex{static_cast<std::uint32_t>(i)};
      break;
    }
  }
  return answer;
}

pccrc::BlockIndex lowest_requested_block(std::span<const BlockRange> requested) noexcept {
  pccrc::BlockIndex lowest{std::numeric_limits<std::uint32_t>::max()};
  for (const BlockRange r : requested) lowest = std::min(lowest, r.index);
  return requested.empty() ? pccrc::BlockIndex{} : lowest;
}

SegmentListAnswer answer_segment_list(std::span<const std::optional<SegmentHoldings>> holdings) {
  SegmentListAnswer answer;
  wire::pccrd::SegmentAges ages;
  ages.units = wire::pccrd::AgeUnit::centiseconds;
  for (std::size_t n = 0; n < holdings.size(); ++n) {
    const auto& h = holdings[n];
    if (!h || !h->any()) continue;
    const auto position = static_cast<std::uint32_t>(n);
    if (!answer.ranges.empty() &&
        answer.ranges.back().first + answer.ranges.back().count == position) {
      ++answer.ranges.back().count;
    } else {
      answer.ranges.push_back({position, 1});
    }
    if (n <= std::numeric_limits<std::uint8_t>::max() &&
        ages.entries.size() < wire::pccrd::kMaxSegmentAges) {
      ages.entries.push_back(
          {static_cast<std::uint8_t>(n),
           wire::pccrd::encode_age(ages.units,
                                   std::chrono::duration_cast<std::chrono::milliseconds>(h->age))});
    }
  }
  if (!ages.entries.empty()) answer.extensible_blob = wire::pccrd::encode_segment_ages(ages);
  return answer;
}

bool ranges_within(std::span<const BlockRange> reply, std::span<const BlockRange> requested) {
  return std::all_of(reply.begin(), reply.end(), [&](BlockRange r) {
    if (r.count == 0 || end_of(r) > std::uint64_t{std::numeric_limits<std::uint32_t>::max()} + 1) {
      return false;
    }
    // Walk the reply range forward, each step covered by some requested range. At most 256
    // requested ranges, each step moves past one of them: bounded work.
    std::uint64_t at = r.index.value();
    const std::uint64_t end = end_of(r);
    while (at < end) {
      std::uint64_t reach = at;
      for (const BlockRange q : requested) {
        if (q.index.value() <= at && at < end_of(q)) reach = std::max(reach, end_of(q));
      }
      if (reach == at) return false;
      at = reach;
    }
    return true;
  });
}

}  // namespace peerdist::net
