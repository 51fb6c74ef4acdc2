// Version choice, requested ranges and the sequential reader, as plain functions.
#include <gtest/gtest.h>

#include "peerdist.h"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/service/content_info.hpp"

namespace peerdist::service {
namespace {

using pccrc::Version;

TEST(ChooseVersionTest, HighestPublishedConfiguredAndAccepted) {
  const std::vector<Version> both{Version::v1, Version::v2};
  const std::vector<Version> v1{Version::v1};
  const std::vector<Version> v2{Version::v2};
  EXPECT_EQ(choose_version(both, both, 0, 0), Version::v2);  // non-Ex
  EXPECT_EQ(choose_version(both, v1, 0, 0), Version::v1);    // configured V1 only
  EXPECT_EQ(choose_version(v1, both, 0, 0), Version::v1);    // published V1 only
  EXPECT_EQ(choose_version(both, both, 1, 1), Version::v1);
  EXPECT_EQ(choose_version(both, both, 1, 2), Version::v2);
  EXPECT_EQ(choose_version(both, both, 2, 9), Version::v2);
  EXPECT_EQ(choose_version(v1, both, 2, 2), std::nullopt);
  EXPECT_EQ(choose_version(v2, v1, 0, 0), std::nullopt);
  EXPECT_EQ(choose_version(both, both, 3, 4), std::nullopt);
}

TEST(RequestedRangeTest, WholeToTheEndAndOutside) {
  EXPECT_EQ(*requested_range(100, 0, 0), std::nullopt);
  EXPECT_EQ(*requested_range(100, 10, 0), (pccrc::ByteRange{10, 100}));
  EXPECT_EQ(*requested_range(100, 10, 90), (pccrc::ByteRange{10, 100}));
  EXPECT_EQ(*requested_range(100, 0, 1), (pccrc::ByteRange{0, 1}));
  EXPECT_EQ(requested_range(100, 10, 91).error(), std::uint32_t{ERROR_INVALID_PARAMETER});
  EXPECT_EQ(requested_range(100, 100, 0).error(), std::uint32_t{ERROR_INVALID_PARAMETER});
  EXPECT_EQ(requested_range(100, 99, UINT64_MAX).error(), std::uint32_t{ERROR_INVALID_PARAMETER});
}

TEST(ContentInfoReaderTest, PiecesPositionsAndEnd) {
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(10, 7);
  ContentInfoReader reader({1}, bytes);
  Reply a = reader.next(4);
  EXPECT_EQ(a.status, ERROR_SUCCESS);
  EXPECT_EQ(a.value, 0U);
  EXPECT_EQ(a.bytes, 4U);
  EXPECT_EQ(a.data.size(), 4U);
  Reply b = reader.next(100);
  EXPECT_EQ(b.value, 4U);
  EXPECT_EQ(b.bytes, 6U);
  EXPECT_EQ(reader.next(1).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(reader.next(0).status, ERROR_INVALID_PARAMETER);
  reader.invalidate();
  EXPECT_EQ(reader.next(1).status, PEERDIST_ERROR_INVALIDATED);
}

TEST(ContentInfoReaderTest, APieceIsAtMostTheProtocolsLimit) {
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(ipc::kMaxResultDataSize + 5, 1);
  ContentInfoReader reader({1}, bytes);
  EXPECT_EQ(reader.next(UINT32_MAX).bytes, ipc::kMaxResultDataSize);
  Reply rest = reader.next(UINT32_MAX);
  EXPECT_EQ(rest.value, ipc::kMaxResultDataSize);
  EXPECT_EQ(rest.bytes, 5U);
}

TEST(ReaderBytesTest, GarbageDoesNotParse) {
  const std::vector<std::uint8_t> garbage(64, 0xEE);
  EXPECT_EQ(reader_bytes(garbage, std::nullopt).error(),
            std::uint32_t{PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO});
}

}  // namespace
}  // namespace peerdist::service
