#include "peerdist/util/checked.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace peerdist::util {
namespace {

TEST(Checked, AddDetectsOverflow) {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(checked_add<std::uint64_t>(max - 1, 1), max);
  EXPECT_FALSE(checked_add<std::uint64_t>(max, 1).has_value());
  EXPECT_FALSE(checked_add<std::uint32_t>(0xffffffffU, 1U).has_value());
}

TEST(Checked, MulDetectsOverflow) {
  EXPECT_EQ(checked_mul<std::uint64_t>(1ULL << 32U, 1ULL << 31U), 1ULL << 63U);
  EXPECT_FALSE(checked_mul<std::uint64_t>(1ULL << 32U, 1ULL << 32U).has_value());
}

TEST(Checked, CeilDivHasNoOverflow) {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(ceil_div<std::uint64_t>(max, 2), (max / 2) + 1);
  EXPECT_EQ(ceil_div<std::uint64_t>(65536, 65536), 1U);
  EXPECT_EQ(ceil_div<std::uint64_t>(65537, 65536), 2U);
  EXPECT_EQ(ceil_div<std::uint64_t>(0, 7), 0U);
}

}  // namespace
}  // namespace peerdist::util
