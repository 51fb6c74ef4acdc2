#include "peerdist/wire/pccrtp/version.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(Version, ParsesMajorAndMinorAsIntegers) {
  EXPECT_EQ(parse_version("1.1"), (Version{1, 1}));
  EXPECT_EQ(parse_version("999.999"), (Version{999, 999}));
  EXPECT_EQ(parse_version("01.10"), (Version{1, 10}));
  // 1.23 is above 1.3: the parts compare as numbers, not as a decimal fraction.
  EXPECT_GT(*parse_version("1.23"), *parse_version("1.3"));
  EXPECT_LT(*parse_version("1.9"), *parse_version("2.0"));
}

TEST(Version, RefusesAnythingButDigitsDotDigits) {
  for (const char* bad : {"", "1", "1.", ".1", "1.1.1", "+1.1", "-1.0", "1 .1", "1. 1", "a.b",
                          "1,1", "4294967296.0", "0.4294967296"}) {
    EXPECT_FALSE(parse_version(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_version("4294967295.0"), (Version{4294967295U, 0}));
}

TEST(Version, FormatsAsWindowsDoes) {
  EXPECT_EQ(to_string(Version{1, 0}), "1.0");
  EXPECT_EQ(to_string(Version{2, 0}), "2.0");
  EXPECT_EQ(to_string(Version{1, 23}), "1.23");
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
