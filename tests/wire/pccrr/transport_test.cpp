// The retrieval path (A7): sent brace-less and mixed-case, matched in any case, with or without
// the trailing slash or the 2012 text's braces.
#include "peerdist/wire/pccrr/transport.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrr {
namespace {

TEST(Transport, RetrievalPath) {
  EXPECT_EQ(kRetrievalPath, "/116B50EB-ECE2-41ac-8429-9F9E963361B7/");
  EXPECT_TRUE(is_retrieval_path(kRetrievalPath));
  EXPECT_TRUE(is_retrieval_path("/116b50eb-ece2-41ac-8429-9f9e963361b7/"));
  EXPECT_TRUE(is_retrieval_path("/116B50EB-ECE2-41AC-8429-9F9E963361B7"));
  EXPECT_TRUE(is_retrieval_path("/{116B50EB-ECE2-41ac-8429-9F9E963361B7}/"));
  EXPECT_TRUE(is_retrieval_path("/{116b50eb-ece2-41ac-8429-9f9e963361b7}"));
  EXPECT_FALSE(is_retrieval_path(""));
  EXPECT_FALSE(is_retrieval_path("/"));
  EXPECT_FALSE(is_retrieval_path("116B50EB-ECE2-41ac-8429-9F9E963361B7/"));
  EXPECT_FALSE(is_retrieval_path("/116B50EB-ECE2-41ac-8429-9F9E963361B8/"));
  EXPECT_FALSE(is_retrieval_path("/116B50EB-ECE2-41ac-8429-9F9E963361B7//"));
  EXPECT_FALSE(is_retrieval_path("/{116B50EB-ECE2-41ac-8429-9F9E963361B7/"));
  EXPECT_FALSE(is_retrieval_path("/116B50EB-ECE2-41ac-8429-9F9E963361B7/x"));
  EXPECT_EQ(kDefaultPort, 80);
}

}  // namespace
}  // namespace peerdist::wire::pccrr
