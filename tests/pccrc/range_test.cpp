// slice(): the derived range vectors byte for byte, and structural properties on many random
// ranges (what is kept, the block lists, that the encoding parses back to the same model).
#include "peerdist/pccrc/range.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/errc.hpp"
#include "peerdist/util/hex.hpp"

#include "ci_fixtures.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::VectorFile;

ContentInformation parse_vector(const std::string& file) {
  const auto parsed = parse(VectorFile::load(file).bytes("ci_hex"));
  EXPECT_TRUE(parsed.has_value()) << file << ": " << parsed.error().message();
  return parsed.has_value() ? parsed.value() : ContentInformation{};
}

struct DerivedRange {
  const char* whole;
  const char* range;
};

class RangeSliceVector : public ::testing::TestWithParam<DerivedRange> {};

TEST_P(RangeSliceVector, ReproducesTheDerivedRangeCi) {
  const auto v = VectorFile::load(GetParam().range);
  const ContentInformation whole = parse_vector(GetParam().whole);
  const ByteRange range{v.number("range.start"), v.number("range.end")};
  auto sliced = slice(whole, range);
  ASSERT_TRUE(sliced.has_value()) << sliced.error().message();
  EXPECT_EQ(sliced->range, range);
  EXPECT_EQ(util::to_hex(encode(*sliced)), v.text("ci_hex"));
}

INSTANTIATE_TEST_SUITE_P(
    Derived, RangeSliceVector,
    ::testing::Values(DerivedRange{"ipxe-iis85-v1.txt", "derived/iis85-v1-range-70000-79999.txt"},
                      DerivedRange{"ipxe-iis85-v2.txt", "derived/iis85-v2-range-50000-59999.txt"},
                      DerivedRange{"derived/synthetic-v1-2seg.txt",
                                   "derived/synthetic-v1-2seg-range-100000-33599999.txt"}));

// What every slice must be, checked from first principles against the CI it was cut from.
void expect_valid_slice(const ContentInformation& whole, const ContentInformation& s,
                        ByteRange range) {
  EXPECT_EQ(s.range, range);
  EXPECT_EQ(s.scheme, whole.scheme);
  std::vector<Segment> intersecting;
  for (const Segment& seg : whole.segments) {
    if (seg.offset < range.end && range.start < seg.end()) intersecting.push_back(seg);
  }
  ASSERT_EQ(s.segments.size(), intersecting.size());
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& got = s.segments[i];
    const Segment& from = intersecting[i];
    EXPECT_EQ(got.index, from.index);
    EXPECT_EQ(got.offset, from.offset);
    EXPECT_EQ(got.length, from.length);
    EXPECT_EQ(got.hod, from.hod);
    EXPECT_EQ(got.kp, from.kp);
    if (s.version() == Version::v2) {
      EXPECT_TRUE(got.block_hashes.empty());
      continue;
    }
    // Blocks 0 .. the block holding the last byte of the range within this segment.
    const auto blocks = s.blocks(got);
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks.front().index, BlockIndex{0});
    const std::uint64_t last_byte = std::min(range.end, got.end()) - 1;
    EXPECT_LE(blocks.back().offset, last_byte);
    EXPECT_GT(blocks.back().offset + blocks.back().length, last_byte);
    for (std::size_t b = 0; b < blocks.size(); ++b) EXPECT_EQ(blocks[b].hash, from.block_hashes[b]);
  }
  auto reparsed = parse(encode(s));
  ASSERT_TRUE(reparsed.has_value()) << reparsed.error().message();
  EXPECT_EQ(*reparsed, s);
}

// A random sub-range of `within`; a third of the ends are snapped to block boundaries, where the
// off-by-one mistakes live.
ByteRange random_range(std::mt19937_64& rng, ByteRange within) {
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {  // in [lo, hi]
    std::uint64_t x = std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    if (rng() % 3 == 0) {
      const std::uint64_t snapped = x / kV1BlockSize * kV1BlockSize;
      if (snapped >= lo) x = snapped;
    }
    return x;
  };
  const std::uint64_t start = pick(within.start, within.end - 1);
  const std::uint64_t end = pick(start + 1, within.end);
  return {start, end};
}

class RangeSliceRandom : public ::testing::TestWithParam<const char*> {};

ContentInformation whole_for(const std::string& name) {
  if (name == "fixture-v1-3seg") return test::make_v1_whole(2ULL * kV1SegmentSize + 100000);
  if (name == "fixture-v2-many") {
    return test::make_v2({1, 70000, 131072, 65536, 4096, 99999, 12345, 131072}, 1000000, 7);
  }
  return parse_vector(name);
}

TEST_P(RangeSliceRandom, SlicesAreValidAndParseBack) {
  const ContentInformation whole = whole_for(GetParam());
  ASSERT_FALSE(whole.segments.empty());
  std::mt19937_64 rng(20240423);
  for (int i = 0; i < 150; ++i) {
    const ByteRange range = random_range(rng, whole.range);
    SCOPED_TRACE("range [" + std::to_string(range.start) + ", " + std::to_string(range.end) + ")");
    auto s = slice(whole, range);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    expect_valid_slice(whole, *s, range);
    // Cutting from a slice gives what cutting from the whole gives.
    const ByteRange inner = random_range(rng, range);
    auto from_slice = slice(*s, inner);
    auto from_whole = slice(whole, inner);
    ASSERT_TRUE(from_slice.has_value());
    ASSERT_TRUE(from_whole.has_value());
    EXPECT_EQ(*from_slice, *from_whole);
  }
}

std::string param_name(const ::testing::TestParamInfo<const char*>& param) {
  std::string name = param.param;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Wholes, RangeSliceRandom,
                         ::testing::Values("derived/synthetic-v1-2seg.txt", "ipxe-iis85-v2.txt",
                                           "ipxe-iis85-v1.txt", "fixture-v1-3seg",
                                           "fixture-v2-many"),
                         param_name);

TEST(RangeSlice, RangeEndingAtASegmentEndWritesZeroReadBytes) {
  const ContentInformation whole = parse_vector("derived/synthetic-v1-2seg.txt");
  ASSERT_EQ(whole.segments.size(), 2U);
  auto s = slice(whole, {100000, whole.segments[0].end()});
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->segments.size(), 1U);
  EXPECT_EQ(s->v1.read_bytes_in_last_segment, 0U);
  EXPECT_EQ(s->segments[0].block_hashes.size(), whole.segments[0].block_hashes.size());
  // One byte less: counted from the range start (single segment).
  auto shorter = slice(whole, {100000, whole.segments[0].end() - 1});
  ASSERT_TRUE(shorter.has_value());
  EXPECT_EQ(shorter->v1.read_bytes_in_last_segment, whole.segments[0].end() - 1 - 100000);
}

TEST(RangeSlice, WholeRangeKeepsTheWireChoicesOfV2) {
  for (const char* file : {"derived/iis85-v2-two-chunks.txt", "ipxe-iis85-v2.txt"}) {
    const auto bytes = VectorFile::load(file).bytes("ci_hex");
    const ContentInformation whole = parse_vector(file);
    auto s = slice(whole, whole.range);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(encode(*s), bytes) << file;
  }
  // The spec 3.6 spelling (ullLengthOfRange = the full length) survives too.
  ContentInformation spelt = test::make_v2({61440, 87040, 45056});
  spelt.v2.length_of_range = spelt.range.length();
  auto s = slice(spelt, spelt.range);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->v2.length_of_range, spelt.range.length());
}

TEST(RangeSlice, EmptyOrOutsideRangesAreOutOfBounds) {
  const ContentInformation whole = parse_vector("ipxe-iis85-v1.txt");
  const ContentInformation ranged = parse_vector("derived/iis85-v2-range-50000-59999.txt");
  const std::uint64_t end = whole.range.end;
  for (const ByteRange r :
       {ByteRange{0, 0}, ByteRange{500, 500}, ByteRange{600, 500}, ByteRange{0, end + 1},
        ByteRange{end, end + 10}, ByteRange{end + 10, end + 20}}) {
    auto s = slice(whole, r);
    ASSERT_FALSE(s.has_value()) << r.start << ".." << r.end;
    EXPECT_EQ(s.error(), make_error_code(Errc::range_out_of_bounds));
  }
  // A range CI only describes its range, even where its segments reach further.
  for (const ByteRange r :
       {ByteRange{49999, 50010}, ByteRange{59990, 60001}, ByteRange{39390, 40000}}) {
    auto s = slice(ranged, r);
    ASSERT_FALSE(s.has_value()) << r.start << ".." << r.end;
    EXPECT_EQ(s.error(), make_error_code(Errc::range_out_of_bounds));
  }
  EXPECT_TRUE(slice(ranged, {50000, 60000}).has_value());
  EXPECT_TRUE(slice(ranged, {55000, 55001}).has_value());
}

TEST(RangeSlice, NeedsTheBlocksItKeeps) {
  // The derived range CI re-spelt with the other §7 convention: only block 1 is listed.
  auto bytes = VectorFile::load("derived/iis85-v1-range-70000-79999.txt").bytes("ci_hex");
  auto parsed = parse(bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  ContentInformation ci = *parsed;
  ASSERT_EQ(ci.segments[0].block_hashes.size(), 2U);
  ci.segments[0].block_hashes.erase(ci.segments[0].block_hashes.begin());
  ci.segments[0].first_listed_block = BlockIndex{1};
  auto reparsed = parse(encode(ci));
  ASSERT_TRUE(reparsed.has_value()) << reparsed.error().message();
  ASSERT_EQ(*reparsed, ci);

  // The output convention lists from block 0, which this CI does not have.
  auto s = slice(ci, {71000, 72000});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), make_error_code(Errc::range_out_of_bounds));
  // A partial list in a whole CI: blocks after the list are missing.
  ContentInformation partial = test::make_v1_whole(200000);
  partial.segments[0].block_hashes.resize(2);
  EXPECT_TRUE(slice(partial, {0, 131072}).has_value());
  auto beyond = slice(partial, {0, 131073});
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error(), make_error_code(Errc::range_out_of_bounds));
}

}  // namespace
}  // namespace peerdist::pccrc
