#include "peerdist/wire/pccrtp/accept_encoding.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(AcceptEncoding, FindsTheTokenInAnyCase) {
  EXPECT_TRUE(accepts_peerdist("gzip, deflate, peerdist"));
  EXPECT_TRUE(accepts_peerdist("peerdist"));
  EXPECT_TRUE(accepts_peerdist("PeerDist"));
  EXPECT_TRUE(accepts_peerdist("gzip,PEERDIST ,br"));
}

TEST(AcceptEncoding, ToleratesQValues) {
  EXPECT_TRUE(accepts_peerdist("peerdist;q=0.5"));
  EXPECT_TRUE(accepts_peerdist("gzip;q=1.0, peerdist ; q=0.001"));
  EXPECT_TRUE(accepts_peerdist("peerdist;q=1"));
  EXPECT_FALSE(accepts_peerdist("peerdist;q=0"));
  EXPECT_FALSE(accepts_peerdist("peerdist; q=0.000"));
  EXPECT_FALSE(accepts_peerdist("gzip, peerdist;Q=0."));
}

TEST(AcceptEncoding, OtherTokensAndWildcardDoNotCount) {
  EXPECT_FALSE(accepts_peerdist(""));
  EXPECT_FALSE(accepts_peerdist("gzip, deflate"));
  EXPECT_FALSE(accepts_peerdist("*"));
  EXPECT_FALSE(accepts_peerdist("peerdistx, xpeerdist"));
  EXPECT_FALSE(accepts_peerdist("peer dist"));
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
