// SegmentDescriptor and verify_block(): descriptors of the shared vectors' segments (IDs, keys
// and block hashes as the vectors give them), blocks of real content verifying against them,
// and everything that must not verify: a flipped bit, a wrong length, a block whose hash a
// range CI does not list. Merging what two range CIs know of one segment.
#include "peerdist/pccrc/segment_descriptor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/range.hpp"

#include "ci_fixtures.hpp"
#include "support/test_data.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using test::VectorFile;

ContentInformation parse_vector(const VectorFile& v) {
  auto parsed = parse(v.bytes("ci_hex"));
  EXPECT_TRUE(parsed.has_value()) << v.name() << ": " << parsed.error().message();
  return parsed.has_value() ? std::move(parsed).value() : ContentInformation{};
}

// The bytes of one block of `content` (absolute offsets: the content starts at offset 0).
Bytes block_bytes(const Bytes& content, const Segment& segment, const SegmentDescriptor& d,
                  BlockIndex index) {
  const std::size_t start = segment.offset + std::size_t{index.value()} * d.block_size;
  const auto first = content.begin() + static_cast<std::ptrdiff_t>(start);
  return {first, first + d.block_length(index)};
}

ContentInformation build(const Bytes& content, HashScheme scheme) {
  ContentInformationBuilder builder(ServerSecret(Bytes{1, 2, 3, 4}), BuildOptions{scheme, 1, {}});
  builder.add(content);
  auto ci = builder.finish();
  EXPECT_TRUE(ci.has_value());
  return ci.has_value() ? std::move(ci).value() : ContentInformation{};
}

// --- Descriptors of the vectors' segments. ---

TEST(SegmentDescriptor, IpxeV1SegmentHasTheVectorsIdKeysAndBlockHashes) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  const ContentInformation ci = parse_vector(v);
  ASSERT_EQ(ci.segments.size(), 1U);
  const SegmentDescriptor d = describe_segment(ci, ci.segments[0]);
  EXPECT_EQ(d.segment_id.hex(), v.text("segment.0.hohodk_hex"));
  EXPECT_EQ(d.hod.hex(), v.text("segment.0.hod_hex"));
  EXPECT_EQ(d.kp.hex(), v.text("segment.0.kp_hex"));
  EXPECT_EQ(d.scheme, (HashScheme{Version::v1, crypto::HashAlgorithm::sha256}));
  EXPECT_EQ(d.segment_length, v.number("segment.0.cbSegment"));
  EXPECT_EQ(d.block_size, 65536U);
  ASSERT_EQ(d.block_count(), v.number("segment.0.blocks_in_segment"));
  ASSERT_EQ(d.block_hashes.size(), 2U);
  EXPECT_EQ(d.block_hashes[0].hex(), v.text("segment.0.block.0.hash_hex"));
  EXPECT_EQ(d.block_hashes[1].hex(), v.text("segment.0.block.1.hash_hex"));
  EXPECT_EQ(d.block_length(BlockIndex{0}), 65536U);
  EXPECT_EQ(d.block_length(BlockIndex{1}), 99710U - 65536U);
  EXPECT_EQ(d.block_length(BlockIndex{2}), 0U);
  EXPECT_TRUE(d.knows_block(BlockIndex{0}));
  EXPECT_TRUE(d.knows_block(BlockIndex{1}));
  EXPECT_FALSE(d.knows_block(BlockIndex{2}));
  EXPECT_TRUE(d.well_formed());
}

TEST(SegmentDescriptor, V1OtherHashAlgorithmsKeepTheirHashSize) {
  for (const auto& [file, size] : {std::pair{"derived/iis85-v1-sha384.txt", std::size_t{48}},
                                   std::pair{"derived/iis85-v1-sha512.txt", std::size_t{64}}}) {
    SCOPED_TRACE(file);
    const auto v = VectorFile::load(file);
    const ContentInformation ci = parse_vector(v);
    ASSERT_EQ(ci.segments.size(), 1U);
    const SegmentDescriptor d = describe_segment(ci, ci.segments[0]);
    EXPECT_EQ(d.segment_id.hex(), v.text("segment.0.hohodk_hex"));
    EXPECT_EQ(d.segment_id.size(), size);
    EXPECT_EQ(d.block_hashes[1].hex(), v.text("segment.0.block.1.hash_hex"));
    EXPECT_TRUE(d.well_formed());
  }
}

TEST(SegmentDescriptor, IpxeV2SegmentsAreOneBlockVerifiedByHod) {
  const auto v = VectorFile::load("ipxe-iis85-v2.txt");
  const ContentInformation ci = parse_vector(v);
  ASSERT_EQ(ci.segments.size(), 2U);
  for (std::size_t n = 0; n < 2; ++n) {
    const std::string key = "segment." + std::to_string(n) + ".";
    const SegmentDescriptor d = describe_segment(ci, ci.segments[n]);
    EXPECT_EQ(d.segment_id.hex(), v.text(key + "hohodk_hex"));
    EXPECT_EQ(d.hod.hex(), v.text(key + "hod_hex"));
    EXPECT_EQ(d.kp.hex(), v.text(key + "kp_hex"));
    EXPECT_EQ(d.scheme, HashScheme::v2());
    EXPECT_EQ(d.segment_length, v.number(key + "cbSegment"));
    EXPECT_EQ(d.block_size, d.segment_length);
    EXPECT_EQ(d.block_count(), 1U);
    EXPECT_EQ(d.block_length(BlockIndex{0}), d.segment_length);
    EXPECT_TRUE(d.block_hashes.empty());
    EXPECT_TRUE(d.knows_block(BlockIndex{0}));
    EXPECT_FALSE(d.knows_block(BlockIndex{1}));
    EXPECT_TRUE(d.well_formed());
  }
}

TEST(SegmentDescriptor, RangeCisDescribeTheSameSegmentsAsTheWholeCi) {
  // V2: a range CI lists whole segments, so its descriptor is the whole CI's.
  const ContentInformation v2_whole = parse_vector(VectorFile::load("ipxe-iis85-v2.txt"));
  const ContentInformation v2_range =
      parse_vector(VectorFile::load("derived/iis85-v2-range-50000-59999.txt"));
  ASSERT_EQ(v2_range.segments.size(), 1U);
  EXPECT_EQ(describe_segment(v2_range, v2_range.segments[0]),
            describe_segment(v2_whole, v2_whole.segments[1]));
  // V1: this range lists both blocks of the only segment.
  const ContentInformation v1_whole = parse_vector(VectorFile::load("ipxe-iis85-v1.txt"));
  const ContentInformation v1_range =
      parse_vector(VectorFile::load("derived/iis85-v1-range-70000-79999.txt"));
  EXPECT_EQ(describe_segment(v1_range, v1_range.segments[0]),
            describe_segment(v1_whole, v1_whole.segments[0]));
}

// --- verify_block against real content. ---

const Bytes& synthetic_content() {
  static const Bytes content = test::synthetic_content(33621202);
  return content;
}

TEST(VerifyBlock, EveryBlockOfTheSyntheticV1VectorVerifies) {
  const auto v = VectorFile::load("derived/synthetic-v1-2seg.txt");
  const ContentInformation ci = parse_vector(v);
  ASSERT_EQ(ci.segments.size(), 2U);
  const Bytes& content = synthetic_content();
  std::size_t verified = 0;
  for (std::size_t n = 0; n < ci.segments.size(); ++n) {
    const Segment& segment = ci.segments[n];
    const SegmentDescriptor d = describe_segment(ci, segment);
    EXPECT_EQ(d.segment_id.hex(), v.text("segment." + std::to_string(n) + ".hohodk_hex"));
    ASSERT_TRUE(d.well_formed());
    for (BlockIndex i{0}; i.value() < d.block_count(); ++i) {
      const auto block = verify_block(d, i, block_bytes(content, segment, d, i));
      ASSERT_TRUE(block.has_value()) << "segment " << n << " block " << i.value();
      EXPECT_EQ(block->segment_id(), d.segment_id);
      EXPECT_EQ(block->index(), i);
      EXPECT_EQ(block->bytes().size(), d.block_length(i));
      ++verified;
    }
  }
  EXPECT_EQ(verified, 512U + 2U);  // 32 MiB + 66,770 bytes
}

TEST(VerifyBlock, AFlippedBitOrAWrongLengthFails) {
  const ContentInformation ci = parse_vector(VectorFile::load("derived/synthetic-v1-2seg.txt"));
  const Bytes& content = synthetic_content();
  const Segment& segment = ci.segments[1];  // its last block is short (1,234 bytes)
  const SegmentDescriptor d = describe_segment(ci, segment);
  ASSERT_EQ(d.block_count(), 2U);
  ASSERT_EQ(d.block_length(BlockIndex{1}), 66770U - 65536U);
  for (const BlockIndex i : {BlockIndex{0}, BlockIndex{1}}) {
    SCOPED_TRACE("block " + std::to_string(i.value()));
    const Bytes good = block_bytes(content, segment, d, i);
    ASSERT_TRUE(verify_block(d, i, good));
    for (const std::size_t at : {std::size_t{0}, good.size() / 2, good.size() - 1}) {
      Bytes flipped = good;
      flipped[at] ^= 0x10U;
      EXPECT_FALSE(verify_block(d, i, flipped)) << "bit flipped at " << at;
    }
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_FALSE(verify_block(d, i, longer));
    Bytes shorter = good;
    shorter.pop_back();
    EXPECT_FALSE(verify_block(d, i, shorter));
    EXPECT_FALSE(verify_block(d, i, Bytes{}));
  }
  // The right bytes under the wrong index.
  EXPECT_FALSE(verify_block(d, BlockIndex{1}, block_bytes(content, segment, d, BlockIndex{0})));
  // Past the end.
  EXPECT_FALSE(verify_block(d, BlockIndex{2}, block_bytes(content, segment, d, BlockIndex{1})));
}

TEST(VerifyBlock, ABlockTheRangeCiDoesNotListFailsEvenWithTheRightBytes) {
  const auto v = VectorFile::load("derived/synthetic-v1-2seg-range-100000-33599999.txt");
  const ContentInformation ci = parse_vector(v);
  ASSERT_EQ(ci.segments.size(), 2U);
  const Segment& second = ci.segments[1];
  // The range ends in block 0 of segment 1: the CI lists that block only.
  ASSERT_EQ(second.block_hashes.size(), 1U);
  const SegmentDescriptor d = describe_segment(ci, second);
  ASSERT_TRUE(d.well_formed());
  ASSERT_EQ(d.block_count(), 2U);
  EXPECT_TRUE(d.knows_block(BlockIndex{0}));
  EXPECT_FALSE(d.knows_block(BlockIndex{1}));
  EXPECT_TRUE(d.block_hashes[1].empty());
  const Bytes& content = synthetic_content();
  EXPECT_TRUE(verify_block(d, BlockIndex{0}, block_bytes(content, second, d, BlockIndex{0})));
  EXPECT_FALSE(verify_block(d, BlockIndex{1}, block_bytes(content, second, d, BlockIndex{1})));

  // The whole CI knows it; merged in, the range descriptor verifies it too.
  const ContentInformation whole = parse_vector(VectorFile::load("derived/synthetic-v1-2seg.txt"));
  SegmentDescriptor merged = d;
  ASSERT_TRUE(merged.merge(describe_segment(whole, whole.segments[1])));
  EXPECT_EQ(merged, describe_segment(whole, whole.segments[1]));
  EXPECT_TRUE(
      verify_block(merged, BlockIndex{1}, block_bytes(content, second, merged, BlockIndex{1})));
}

TEST(VerifyBlock, V2SegmentsOfBuiltContentVerifyWhole) {
  const Bytes content = test::random_content(std::size_t{600} * 1024, 42);
  const ContentInformation ci = build(content, HashScheme::v2());
  ASSERT_GE(ci.segments.size(), 3U);  // content-defined segments of at most 128 KiB
  for (const Segment& segment : ci.segments) {
    const SegmentDescriptor d = describe_segment(ci, segment);
    ASSERT_TRUE(d.well_formed());
    const Bytes good = block_bytes(content, segment, d, BlockIndex{0});
    ASSERT_EQ(good.size(), segment.length);
    const auto block = verify_block(d, BlockIndex{0}, good);
    ASSERT_TRUE(block.has_value());
    EXPECT_EQ(block->segment_id(), ci.segment_id(segment));
    Bytes flipped = good;
    flipped.back() ^= 1U;
    EXPECT_FALSE(verify_block(d, BlockIndex{0}, flipped));
    EXPECT_FALSE(verify_block(d, BlockIndex{0}, Bytes(good.begin(), good.end() - 1)));
    EXPECT_FALSE(verify_block(d, BlockIndex{1}, good));
  }
  // A neighbour's bytes are not this segment's.
  const SegmentDescriptor first = describe_segment(ci, ci.segments[0]);
  const SegmentDescriptor second = describe_segment(ci, ci.segments[1]);
  Bytes other = block_bytes(content, ci.segments[1], second, BlockIndex{0});
  other.resize(first.segment_length);  // cut or zero-padded to the length that could verify
  EXPECT_FALSE(verify_block(first, BlockIndex{0}, other));
}

TEST(VerifyBlock, V1Sha512BlocksOfBuiltContentVerify) {
  const Bytes content = test::random_content(std::size_t{200} * 1024 + 17, 7);
  const ContentInformation ci =
      build(content, HashScheme{Version::v1, crypto::HashAlgorithm::sha512});
  ASSERT_EQ(ci.segments.size(), 1U);
  const SegmentDescriptor d = describe_segment(ci, ci.segments[0]);
  ASSERT_EQ(d.block_count(), 4U);
  ASSERT_EQ(d.block_length(BlockIndex{3}), 200U * 1024U + 17U - 3U * 65536U);
  for (BlockIndex i{0}; i.value() < d.block_count(); ++i) {
    EXPECT_TRUE(verify_block(d, i, block_bytes(content, ci.segments[0], d, i)));
  }
}

TEST(VerifiedBlock, ReleaseGivesTheVerifiedBytesBack) {
  const Bytes content = test::random_content(1000, 3);
  const ContentInformation ci = build(content, HashScheme{});
  const SegmentDescriptor d = describe_segment(ci, ci.segments[0]);
  auto block = verify_block(d, BlockIndex{0}, content);
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(std::move(*block).release(), content);
}

// --- Merging what two range CIs know. ---

// A segment of `whole` as a range CI would list it from `first` to `last` (inclusive).
Segment listing(const Segment& whole, std::uint32_t first, std::uint32_t last) {
  Segment s = whole;
  s.first_listed_block = BlockIndex{first};
  s.block_hashes.assign(whole.block_hashes.begin() + first, whole.block_hashes.begin() + last + 1);
  return s;
}

class Merge : public ::testing::Test {
 protected:
  void SetUp() override {
    content_ = test::random_content(std::size_t{10} * 65536 + 100, 11);
    ci_ = build(content_, HashScheme{});
    ASSERT_EQ(ci_.segments.size(), 1U);
    ASSERT_EQ(ci_.segments[0].block_hashes.size(), 11U);
  }
  [[nodiscard]] SegmentDescriptor listing_of(std::uint32_t first, std::uint32_t last) const {
    return describe_segment(ci_, listing(ci_.segments[0], first, last));
  }
  [[nodiscard]] SegmentDescriptor whole() const { return describe_segment(ci_, ci_.segments[0]); }
  [[nodiscard]] Bytes block(std::uint32_t i) const {
    const SegmentDescriptor d = whole();
    return block_bytes(content_, ci_.segments[0], d, BlockIndex{i});
  }

 private:
  Bytes content_;
  ContentInformation ci_;
};

TEST_F(Merge, TwoOverlappingRangesKnowTheUnionOfTheirBlocks) {
  SegmentDescriptor a = listing_of(0, 4);
  const SegmentDescriptor b = listing_of(3, 8);
  ASSERT_TRUE(a.well_formed());
  ASSERT_TRUE(b.well_formed());
  EXPECT_FALSE(a.knows_block(BlockIndex{6}));
  EXPECT_FALSE(b.knows_block(BlockIndex{1}));
  EXPECT_FALSE(verify_block(a, BlockIndex{6}, block(6)));

  ASSERT_TRUE(a.merge(b));
  for (std::uint32_t i = 0; i < 11; ++i) {
    EXPECT_EQ(a.knows_block(BlockIndex{i}), i <= 8) << "block " << i;
    EXPECT_EQ(verify_block(a, BlockIndex{i}, block(i)).has_value(), i <= 8) << "block " << i;
  }
  // Merging is idempotent and merging the rest gives the whole CI's descriptor.
  const SegmentDescriptor once = a;
  ASSERT_TRUE(a.merge(b));
  EXPECT_EQ(a, once);
  ASSERT_TRUE(a.merge(listing_of(9, 10)));
  EXPECT_EQ(a, whole());
}

TEST_F(Merge, ConflictingBlockHashesAreRefusedAndChangeNothing) {
  SegmentDescriptor a = listing_of(0, 4);
  SegmentDescriptor b = listing_of(3, 8);
  b.block_hashes[4] = b.block_hashes[5];  // disagrees on block 4, which both list
  const SegmentDescriptor before = a;
  EXPECT_FALSE(a.merge(b));
  EXPECT_EQ(a, before);
  EXPECT_FALSE(a.knows_block(BlockIndex{6}));  // not half-merged
}

TEST_F(Merge, DescriptorsThatDisagreeOnAnythingButKnownHashesAreRefused) {
  const SegmentDescriptor a = listing_of(0, 4);
  const SegmentDescriptor b = listing_of(3, 8);
  const auto refused = [&](auto change) {
    SegmentDescriptor target = a;
    SegmentDescriptor other = b;
    change(other);
    return !target.merge(other) && target == a;
  };
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.segment_id = d.hod; }));
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.hod = d.kp; }));
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.kp = d.hod; }));
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.segment_length -= 1; }));
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.block_size = 4096; }));
  EXPECT_TRUE(
      refused([](SegmentDescriptor& d) { d.scheme.algorithm = crypto::HashAlgorithm::sha384; }));
  EXPECT_TRUE(refused([](SegmentDescriptor& d) { d.block_hashes.pop_back(); }));
}

// --- well_formed() ---

TEST(SegmentDescriptor, WellFormedRejectsWhatDescribeSegmentNeverMakes) {
  const ContentInformation v1 = parse_vector(VectorFile::load("ipxe-iis85-v1.txt"));
  const ContentInformation v2 = parse_vector(VectorFile::load("ipxe-iis85-v2.txt"));
  const SegmentDescriptor good_v1 = describe_segment(v1, v1.segments[0]);
  const SegmentDescriptor good_v2 = describe_segment(v2, v2.segments[0]);
  ASSERT_TRUE(good_v1.well_formed());
  ASSERT_TRUE(good_v2.well_formed());
  const auto bad = [](SegmentDescriptor d, auto change) {
    change(d);
    return !d.well_formed();
  };
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.segment_length = 0; }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.segment_length = kV1SegmentSize + 1; }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.block_size = 4096; }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.block_hashes.pop_back(); }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.block_hashes.emplace_back(); }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.block_hashes[0] = d.hod.truncated(20); }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.kp = d.kp.truncated(16); }));
  EXPECT_TRUE(bad(good_v1, [](SegmentDescriptor& d) { d.segment_id = {}; }));
  EXPECT_TRUE(bad(
      good_v1, [](SegmentDescriptor& d) { d.scheme.algorithm = crypto::HashAlgorithm::sha512; }));
  EXPECT_TRUE(bad(good_v2, [](SegmentDescriptor& d) { d.block_size = 65536; }));
  EXPECT_TRUE(bad(good_v2, [](SegmentDescriptor& d) {
    d.segment_length = kV2MaxSegmentSize + 1;
    d.block_size = d.segment_length;
  }));
  EXPECT_TRUE(bad(good_v2, [](SegmentDescriptor& d) { d.block_hashes.push_back(d.hod); }));
  EXPECT_TRUE(bad(
      good_v2, [](SegmentDescriptor& d) { d.scheme.algorithm = crypto::HashAlgorithm::sha256; }));
  EXPECT_TRUE(bad(SegmentDescriptor{}, [](SegmentDescriptor&) {}));
  // An unknown block (an empty hash) is well formed.
  EXPECT_FALSE(bad(good_v1, [](SegmentDescriptor& d) { d.block_hashes[1] = {}; }));
}

}  // namespace
}  // namespace peerdist::pccrc
