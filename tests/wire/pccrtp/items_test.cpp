#include "peerdist/wire/pccrtp/items.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(Items, SplitsOnCommasWithOptionalWhitespace) {
  const auto items = parse_items(" Version=1.1 ,\tContentLength = 184946,,X=");
  ASSERT_TRUE(items.has_value()) << items.error().message();
  ASSERT_EQ(items->size(), 3U);
  EXPECT_EQ((*items)[0].name, "Version");
  EXPECT_EQ((*items)[0].value, "1.1");
  EXPECT_EQ((*items)[0].offset, 1U);
  EXPECT_EQ((*items)[1].name, "ContentLength");
  EXPECT_EQ((*items)[1].value, "184946");
  EXPECT_EQ((*items)[2].name, "X");
  EXPECT_EQ((*items)[2].value, "");
}

TEST(Items, EmptyValueIsAnEmptyList) {
  const auto items = parse_items("");
  ASSERT_TRUE(items.has_value());
  EXPECT_TRUE(items->empty());
  EXPECT_TRUE(parse_items(" , ,").value().empty());
}

TEST(Items, RefusesMalformedElements) {
  EXPECT_FALSE(parse_items("Version").has_value());
  EXPECT_FALSE(parse_items("=1.1").has_value());
  EXPECT_FALSE(parse_items("Ver sion=1.1").has_value());
  EXPECT_FALSE(parse_items("Version=1 .1").has_value());
  EXPECT_FALSE(parse_items(std::string_view("Version=1.1\0", 12)).has_value());
  const auto error = parse_items("Version=1.1, Bogus");
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().offset, 13U);
  EXPECT_FALSE(parse_items(std::string(5000, 'a')).has_value());
}

TEST(Items, CaseInsensitiveHelpers) {
  EXPECT_TRUE(iequals("PeerDist", "peerdist"));
  EXPECT_FALSE(iequals("peerdist", "peerdis"));
  EXPECT_EQ(parse_bool("TRUE"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("InvalidValue").has_value());
  EXPECT_FALSE(parse_bool("1").has_value());
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
