#include "peerdist/wire/pccrtp/peerdist_header.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrtp {
namespace {

TEST(PeerDistHeader, ParsesTheResponseOfTheSpecExample) {
  const auto header = parse_peerdist_header("Version=1.1, ContentLength=184946");
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->version, (Version{1, 1}));
  EXPECT_EQ(header->content_length, 184946U);
  EXPECT_FALSE(header->missing_data_request.has_value());
}

TEST(PeerDistHeader, NamesAreCaseInsensitiveAndUnknownItemsIgnored) {
  const auto header = parse_peerdist_header("version=1.0, FutureThing=42, missingdatarequest=TRUE");
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->version, (Version{1, 0}));
  EXPECT_EQ(header->missing_data_request, true);
}

TEST(PeerDistHeader, MissingDataRequestTrueFalseInvalid) {
  EXPECT_EQ(parse_peerdist_header("Version=1.1, MissingDataRequest=true")->missing_data_request,
            true);
  EXPECT_EQ(parse_peerdist_header("Version=1.1, MissingDataRequest=false")->missing_data_request,
            false);
  const auto invalid = parse_peerdist_header("Version=1.1, MissingDataRequest=InvalidValue");
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().field, "MissingDataRequest");
  EXPECT_EQ(invalid.error().offset, 13U);
}

TEST(PeerDistHeader, ContentLengthIsCheckedDigits) {
  EXPECT_EQ(parse_peerdist_header("ContentLength=18446744073709551615")->content_length,
            18446744073709551615ULL);
  EXPECT_FALSE(parse_peerdist_header("ContentLength=18446744073709551616").has_value());
  EXPECT_FALSE(parse_peerdist_header("ContentLength=-1").has_value());
  EXPECT_FALSE(parse_peerdist_header("ContentLength=0x10").has_value());
  EXPECT_FALSE(parse_peerdist_header("ContentLength=").has_value());
}

TEST(PeerDistHeader, RefusesDuplicatesAndBadVersions) {
  EXPECT_FALSE(parse_peerdist_header("Version=1.1, Version=1.0").has_value());
  EXPECT_FALSE(parse_peerdist_header("Version=1").has_value());
  EXPECT_FALSE(parse_peerdist_header("Version=one.one").has_value());
}

PeerDistHeader make(std::optional<Version> version, std::optional<std::uint64_t> length,
                    std::optional<bool> missing) {
  PeerDistHeader header;
  header.version = version;
  header.content_length = length;
  header.missing_data_request = missing;
  return header;
}

TEST(PeerDistHeader, FormatsTheStringsWindowsSends) {
  EXPECT_EQ(format_peerdist_header(make(Version{1, 1}, 184946, std::nullopt)),
            "Version=1.1, ContentLength=184946");
  EXPECT_EQ(format_peerdist_header(make(Version{1, 0}, std::nullopt, std::nullopt)), "Version=1.0");
  EXPECT_EQ(format_peerdist_header(make(Version{1, 1}, std::nullopt, true)),
            "Version=1.1, MissingDataRequest=true");
  EXPECT_EQ(format_peerdist_header({}), "");
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
