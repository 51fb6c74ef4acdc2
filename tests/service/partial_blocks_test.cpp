// PartialBlocks: pieces of blocks in any order and overlap, handed back whole exactly once, and
// the memory bound.
#include "peerdist/service/partial_blocks.hpp"

#include <gtest/gtest.h>

#include "support/test_data.hpp"

namespace peerdist::service {
namespace {

std::span<const std::uint8_t> part(const std::vector<std::uint8_t>& v, std::size_t from,
                                   std::size_t to) {
  return std::span(v).subspan(from, to - from);
}

TEST(PartialBlocksTest, PiecesInAnyOrderMakeTheBlock) {
  const auto block = peerdist::test::random_content(1000, 3);
  PartialBlocks partials(1 << 20);
  EXPECT_FALSE(partials.add(7, 1000, 500, part(block, 500, 700)));
  EXPECT_FALSE(partials.add(7, 1000, 0, part(block, 0, 100)));
  EXPECT_FALSE(partials.add(7, 1000, 650, part(block, 650, 999)));  // overlaps
  EXPECT_FALSE(partials.add(7, 1000, 100, part(block, 100, 400)));  // adjacent
  EXPECT_EQ(partials.blocks(), 1U);
  EXPECT_EQ(partials.bytes(), 1000U);
  EXPECT_FALSE(partials.add(7, 1000, 999, part(block, 999, 1000)));
  auto whole = partials.add(7, 1000, 300, part(block, 300, 600));  // fills 400..500
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, block);
  EXPECT_EQ(partials.blocks(), 0U);
  EXPECT_EQ(partials.bytes(), 0U);
}

TEST(PartialBlocksTest, LaterBytesOverwriteEarlierOnes) {
  const auto block = peerdist::test::random_content(100, 4);
  PartialBlocks partials(1 << 20);
  const std::vector<std::uint8_t> junk(50, 0xEE);
  EXPECT_FALSE(partials.add(1, 100, 0, junk));
  auto whole = partials.add(1, 100, 0, block);
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, block);
}

TEST(PartialBlocksTest, PiecesOutsideTheBlockAreIgnored) {
  PartialBlocks partials(1 << 20);
  const std::vector<std::uint8_t> piece(10, 1);
  EXPECT_FALSE(partials.add(1, 100, 95, piece));
  EXPECT_FALSE(partials.add(1, 100, 100, piece));
  EXPECT_FALSE(partials.add(1, 100, 0, {}));
  EXPECT_EQ(partials.blocks(), 0U);
}

TEST(PartialBlocksTest, TheLeastRecentlyTouchedGoesPastTheBound) {
  PartialBlocks partials(250);
  const std::vector<std::uint8_t> piece(10, 1);
  EXPECT_FALSE(partials.add(1, 100, 0, piece));
  EXPECT_FALSE(partials.add(2, 100, 0, piece));
  EXPECT_FALSE(partials.add(1, 100, 10, piece));  // 1 is now more recent than 2
  EXPECT_FALSE(partials.add(3, 100, 0, piece));   // 300 bytes: 2 goes
  EXPECT_EQ(partials.blocks(), 2U);
  EXPECT_EQ(partials.bytes(), 200U);
  EXPECT_EQ(partials.dropped(), 1U);
  // Block 2 starts again from nothing.
  std::vector<std::uint8_t> rest(90, 1);
  EXPECT_FALSE(partials.add(2, 100, 10, rest));
  partials.forget(1);
  partials.forget(3);
  EXPECT_EQ(partials.blocks(), 1U);
  auto whole = partials.add(2, 100, 0, piece);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->size(), 100U);
}

}  // namespace
}  // namespace peerdist::service
