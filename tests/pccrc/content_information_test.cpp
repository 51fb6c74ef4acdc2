// The model's derived views: blocks(), segment_id(), offset_in_first_segment().
#include "peerdist/pccrc/content_information.hpp"

#include <gtest/gtest.h>

#include "peerdist/pccrc/constants.hpp"

#include "ci_fixtures.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::VectorFile;

TEST(ContentInformation, V1BlocksHaveAbsoluteOffsetsAndAShortLastBlock) {
  // The second segment of a 32 MiB + 66770-byte content: blocks of 65536 and 1234 bytes.
  ContentInformation ci;
  Segment s;
  s.index = SegmentIndex{1};
  s.offset = kV1SegmentSize;
  s.length = 66770;
  s.block_hashes = {test::made_up_hash(ci.scheme, "a"), test::made_up_hash(ci.scheme, "b")};
  const auto blocks = ci.blocks(s);
  ASSERT_EQ(blocks.size(), 2U);
  EXPECT_EQ(blocks[0], (Block{BlockIndex{0}, 33554432, 65536, s.block_hashes[0]}));
  EXPECT_EQ(blocks[1], (Block{BlockIndex{1}, 33554432 + 65536, 1234, s.block_hashes[1]}));
}

TEST(ContentInformation, V1BlocksStartAtTheFirstListedBlock) {
  ContentInformation ci;
  Segment s;
  s.offset = 0;
  s.length = 99710;
  s.first_listed_block = BlockIndex{1};
  s.block_hashes = {test::made_up_hash(ci.scheme, "only")};
  const auto blocks = ci.blocks(s);
  ASSERT_EQ(blocks.size(), 1U);
  EXPECT_EQ(blocks[0].index, BlockIndex{1});
  EXPECT_EQ(blocks[0].offset, 65536U);
  EXPECT_EQ(blocks[0].length, 99710U - 65536U);
}

TEST(ContentInformation, V2SegmentIsOneBlockHashedByHoD) {
  const ContentInformation ci = test::make_v2({39390, 60320}, 1000, 4);
  const Segment& s = ci.segments[1];
  const auto blocks = ci.blocks(s);
  ASSERT_EQ(blocks.size(), 1U);
  EXPECT_EQ(blocks[0], (Block{BlockIndex{0}, 1000 + 39390, 60320, s.hod}));
}

TEST(ContentInformation, SegmentIdIsHoHoDkOfTheSegmentsKeys) {
  // Models built straight from the captured vectors' HoD and Kp, not via parse().
  for (const char* file : {"ipxe-iis85-v1.txt", "ipxe-iis85-v2.txt"}) {
    const auto v = VectorFile::load(file);
    ContentInformation ci;
    if (v.text("ci.version") == "2.0") ci.scheme = HashScheme::v2();
    for (int n = 0; v.has("segment." + std::to_string(n) + ".hod_hex"); ++n) {
      const std::string key = "segment." + std::to_string(n) + ".";
      Segment s;
      s.hod = crypto::Digest(v.bytes(key + "hod_hex"));
      s.kp = crypto::Digest(v.bytes(key + "kp_hex"));
      EXPECT_EQ(ci.segment_id(s).hex(), v.text(key + "hohodk_hex")) << file << " " << key;
    }
  }
}

TEST(ContentInformation, OffsetInFirstSegmentIsRelativeToTheFirstListedSegment) {
  ContentInformation ci = test::make_v2({1000, 2000, 3000}, 5000);
  ci.segments.erase(ci.segments.begin());  // first listed segment now starts at 6000
  ci.range = {6500, 9000};
  EXPECT_EQ(ci.offset_in_first_segment(), 500U);
  ci.range.start = 6000;
  EXPECT_EQ(ci.offset_in_first_segment(), 0U);
  ci.segments.clear();
  EXPECT_EQ(ci.offset_in_first_segment(), 0U);
}

}  // namespace
}  // namespace peerdist::pccrc
