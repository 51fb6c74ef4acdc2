#include "peerdist/util/hex.hpp"

#include <gtest/gtest.h>

namespace peerdist::util {
namespace {

TEST(Hex, EncodesLowerCase) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "007fabff");
}

TEST(Hex, DecodesEitherCaseAndRejectsJunk) {
  EXPECT_EQ(from_hex("00Ab7F"), (std::vector<std::uint8_t>{0x00, 0xab, 0x7f}));
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_EQ(from_hex("")->size(), 0U);
}

}  // namespace
}  // namespace peerdist::util
