#include "peerdist/wire/pccrtp/request_headers.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(RequestHeaders, TheFormsWindowsAndIpxeSend) {
  EXPECT_EQ(v1_request(), (RequestHeaders{"peerdist", "Version=1.0", std::nullopt}));
  EXPECT_EQ(v1_v2_request(),
            (RequestHeaders{"peerdist", "Version=1.1",
                            "MinContentInformation=1.0, MaxContentInformation=2.0"}));
  EXPECT_EQ(v2_only_request(),
            (RequestHeaders{"peerdist", "Version=1.1",
                            "MinContentInformation=2.0, MaxContentInformation=2.0"}));
  EXPECT_EQ(hash_request().peerdist_ex,
            "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true");
  EXPECT_EQ(missing_data_request(),
            (RequestHeaders{std::nullopt, "Version=1.1, MissingDataRequest=true", std::nullopt}));
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
