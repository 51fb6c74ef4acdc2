#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(PeerDistExHeader, ParsesMinMaxAndHashRequest) {
  const auto header = parse_peerdist_ex_header(
      "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true");
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->min_content_information, (Version{1, 0}));
  EXPECT_EQ(header->max_content_information, (Version{2, 0}));
  EXPECT_EQ(header->hash_request, true);
  EXPECT_FALSE(header->make_hash_request.has_value());
}

TEST(PeerDistExHeader, ParsesMakeHashRequestAndTheSpecsLeadingComma) {
  // The spec's ABNF puts ", " before MakeHashRequest; an empty first element is allowed.
  const auto header = parse_peerdist_ex_header(", MakeHashRequest=true");
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->make_hash_request, true);
}

TEST(PeerDistExHeader, RefusesMalformedValues) {
  EXPECT_FALSE(parse_peerdist_ex_header("MinContentInformation=1").has_value());
  EXPECT_FALSE(
      parse_peerdist_ex_header("MaxContentInformation=2.0, MaxContentInformation=1.0").has_value());
  EXPECT_FALSE(parse_peerdist_ex_header("HashRequest=yes").has_value());
  EXPECT_TRUE(parse_peerdist_ex_header("Unknown=whatever, MinContentInformation=1.0").has_value());
}

PeerDistExHeader make(std::optional<Version> min, std::optional<Version> max,
                      std::optional<bool> make_hash, std::optional<bool> hash) {
  PeerDistExHeader header;
  header.min_content_information = min;
  header.max_content_information = max;
  header.make_hash_request = make_hash;
  header.hash_request = hash;
  return header;
}

TEST(PeerDistExHeader, FormatsTheStringsWindowsSends) {
  EXPECT_EQ(
      format_peerdist_ex_header(make(Version{1, 0}, Version{1, 0}, std::nullopt, std::nullopt)),
      "MinContentInformation=1.0, MaxContentInformation=1.0");
  EXPECT_EQ(format_peerdist_ex_header(make(std::nullopt, std::nullopt, true, std::nullopt)),
            "MakeHashRequest=true");
  EXPECT_EQ(format_peerdist_ex_header(make(Version{1, 0}, Version{2, 0}, std::nullopt, true)),
            "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true");
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
