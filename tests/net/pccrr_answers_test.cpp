// The pure part of the MS-PCCRR answers (net/pccrr_answers.hpp) on values: edges the socket
// tests do not reach (ranges past 2^32, holdings shorter than their block count, the 256-range
// and 255-age caps) and the client's check of a block list against its request.
#include "peerdist/net/pccrr_answers.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "peerdist/wire/pccrd/segment_ages.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

namespace peerdist::net {
namespace {

using pccrc::BlockIndex;
using wire::pccrr::BlockRange;
using wire::pccrr::SegmentRange;
using namespace std::chrono_literals;

constexpr std::uint32_t kMax = std::numeric_limits<std::uint32_t>::max();

SegmentHoldings holding(std::vector<bool> present, std::chrono::seconds age = {}) {
  SegmentHoldings h;
  h.block_count = static_cast<std::uint32_t>(present.size());
  for (const bool p : present) h.present_count += p ? 1U : 0U;
  h.present = std::move(present);
  h.age = age;
  return h;
}

TEST(AnswerBlockList, NothingHeldIsNoRangesAndNoNextBlock) {
  const std::vector<BlockRange> requested = {{BlockIndex{0}, 4}};
  EXPECT_EQ(answer_block_list(requested, std::nullopt), BlockListAnswer{});
  EXPECT_EQ(answer_block_list({}, holding({true, true})), BlockListAnswer{});
}

TEST(AnswerBlockList, MergesAdjacentHeldBlocksAcrossRequestedRanges) {
  const auto h = holding({true, true, true, false, true, true});
  // [0,2] and [2,1] ask for 0..2 in two pieces: one range back.
  const std::vector<BlockRange> requested = {{BlockIndex{2}, 1}, {BlockIndex{0}, 2}};
  const auto answer = answer_block_list(requested, h);
  EXPECT_EQ(answer.ranges, (std::vector<BlockRange>{{BlockIndex{0}, 3}}));
  EXPECT_EQ(answer.next_block_index, BlockIndex{4});  // block 3 is missing
}

TEST(AnswerBlockList, RangesPastTheEndOrPast2To32AreClippedNotOverflowed) {
  const auto h = holding({true, false, true});
  const std::vector<BlockRange> requested = {{BlockIndex{kMax}, kMax}, {BlockIndex{1}, kMax}};
  const auto answer = answer_block_list(requested, h);
  EXPECT_EQ(answer.ranges, (std::vector<BlockRange>{{BlockIndex{2}, 1}}));
  EXPECT_EQ(answer.next_block_index, BlockIndex{0});
}

TEST(AnswerBlockList, PresenceShorterThanTheBlockCountIsNotReadPastItsEnd) {
  SegmentHoldings h = holding({true, true});
  h.block_count = 10;
  const std::vector<BlockRange> requested = {{BlockIndex{0}, 10}};
  EXPECT_EQ(answer_block_list(requested, h).ranges, (std::vector<BlockRange>{{BlockIndex{0}, 2}}));
}

TEST(AnswerBlockList, AtMost256RangesAreListed) {
  std::vector<bool> present(1024);
  for (std::size_t i = 0; i < present.size(); i += 2) present[i] = true;  // 512 lone blocks
  const std::vector<BlockRange> requested = {{BlockIndex{0}, 1024}};
  const auto answer = answer_block_list(requested, holding(present));
  ASSERT_EQ(answer.ranges.size(), wire::pccrr::kMaxBlockRanges);
  EXPECT_EQ(answer.ranges.back(), (BlockRange{BlockIndex{510}, 1}));
}

TEST(LowestRequestedBlock, IsTheSmallestIndexOfAnyRange) {
  const std::vector<BlockRange> requested = {
      {BlockIndex{9}, 1}, {BlockIndex{3}, 4}, {BlockIndex{7}, 1}};
  EXPECT_EQ(lowest_requested_block(requested), BlockIndex{3});
}

TEST(AnswerSegmentList, ListsHeldPositionsWithAgesInCentiseconds) {
  std::vector<std::optional<SegmentHoldings>> held = {holding({true}, 2s), std::nullopt,
                                                      holding({false, true}, 1h),
                                                      holding({false, false}), holding({true}, 0s)};
  const auto answer = answer_segment_list(held);
  // Position 3 "holds" no block: not listed.
  EXPECT_EQ(answer.ranges, (std::vector<SegmentRange>{{0, 1}, {2, 1}, {4, 1}}));
  const auto ages = wire::pccrd::decode_segment_ages(answer.extensible_blob);
  ASSERT_TRUE(ages.has_value());
  EXPECT_EQ(ages->units, wire::pccrd::AgeUnit::centiseconds);
  EXPECT_EQ(ages->entries, (std::vector<wire::pccrd::SegmentAge>{{0, 200}, {2, 360'000}, {4, 0}}));
}

TEST(AnswerSegmentList, OnlyTheFirst256PositionsCarryAges) {
  std::vector<std::optional<SegmentHoldings>> held(300, holding({true}, 1s));
  const auto answer = answer_segment_list(held);
  EXPECT_EQ(answer.ranges, (std::vector<SegmentRange>{{0, 300}}));
  const auto ages = wire::pccrd::decode_segment_ages(answer.extensible_blob);
  ASSERT_TRUE(ages.has_value());
  ASSERT_EQ(ages->entries.size(), wire::pccrd::kMaxSegmentAges);
  EXPECT_EQ(ages->entries.back().segment_index, 254);
}

TEST(AnswerSegmentList, NoneHeldHasNoBlob) {
  const std::vector<std::optional<SegmentHoldings>> held = {std::nullopt, std::nullopt};
  EXPECT_EQ(answer_segment_list(held), SegmentListAnswer{});
}

TEST(RangesWithin, AcceptsRangesCoveredByTheUnionOfTheRequest) {
  const std::vector<BlockRange> requested = {
      {BlockIndex{0}, 2}, {BlockIndex{2}, 3}, {BlockIndex{9}, 1}};
  EXPECT_TRUE(ranges_within(std::vector<BlockRange>{}, requested));
  EXPECT_TRUE(
      ranges_within(std::vector<BlockRange>{{BlockIndex{1}, 4}, {BlockIndex{9}, 1}}, requested));
  EXPECT_FALSE(ranges_within(std::vector<BlockRange>{{BlockIndex{4}, 2}}, requested));
  EXPECT_FALSE(ranges_within(std::vector<BlockRange>{{BlockIndex{8}, 1}}, requested));
  EXPECT_FALSE(ranges_within(std::vector<BlockRange>{{BlockIndex{0}, 0}}, requested));
  const std::vector<BlockRange> all = {{BlockIndex{0}, kMax}, {BlockIndex{kMax}, 1}};
  EXPECT_TRUE(ranges_within(std::vector<BlockRange>{{BlockIndex{kMax - 1}, 2}}, all));
  EXPECT_FALSE(ranges_within(std::vector<BlockRange>{{BlockIndex{kMax}, 2}}, all));
}

}  // namespace
}  // namespace peerdist::net
