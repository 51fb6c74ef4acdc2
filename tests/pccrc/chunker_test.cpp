// The V2 chunker: bounds, determinism, the pinned output format, and resynchronisation after
// edits (docs/chunker.md).
#include "peerdist/pccrc/chunker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"

// The gear table is internal to the library; it is included here only to pin its documented
// derivation (SplitMix64 from the seed "peerdist").
#include "../../src/pccrc/gear_table.hpp"
#include "support/test_data.hpp"

namespace peerdist::pccrc {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMiB = std::size_t{1} << 20U;

// Cuts a whole content the way the builder does: each call sees the rest of the content.
std::vector<std::size_t> segment_lengths(const Chunker& chunker,
                                         std::span<const std::uint8_t> content) {
  std::vector<std::size_t> lengths;
  std::size_t at = 0;
  while (at < content.size()) {
    const std::size_t n = chunker.next_segment(content.subspan(at), true);
    if (n == 0) {
      ADD_FAILURE() << "zero-length segment at " << at;
      break;
    }
    lengths.push_back(n);
    at += n;
  }
  return lengths;
}

// The HoDs (SHA-512 truncated to 32 bytes) of the segments: what V2 publishes per segment.
std::vector<std::string> segment_hods(std::span<const std::uint8_t> content,
                                      const std::vector<std::size_t>& lengths) {
  std::vector<std::string> hods;
  std::size_t at = 0;
  for (const std::size_t n : lengths) {
    hods.push_back(
        crypto::hash(crypto::HashAlgorithm::sha512, content.subspan(at, n)).truncated(32).hex());
    at += n;
  }
  return hods;
}

void expect_within_bounds(const std::vector<std::size_t>& lengths, const ChunkerParameters& p,
                          std::size_t content_size) {
  ASSERT_FALSE(lengths.empty());
  EXPECT_EQ(std::accumulate(lengths.begin(), lengths.end(), std::size_t{0}), content_size);
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    EXPECT_LE(lengths[i], p.max_size) << "segment " << i;
    EXPECT_LE(lengths[i], kV2MaxSegmentSize) << "segment " << i;
    if (i + 1 < lengths.size()) {
      EXPECT_GE(lengths[i], p.min_size) << "segment " << i;
    }
    EXPECT_GE(lengths[i], 1U) << "segment " << i;
  }
}

// 16 MiB of random bytes, shared by the tests below (generating it is the slow part in Debug).
const Bytes& random_16mib() {
  static const Bytes content = test::random_content(16 * kMiB, 0xC0FFEE);
  return content;
}

TEST(Chunker, GearTableIsSplitMix64SeededWithPeerdist) {
  // SplitMix64's published first outputs for seed 0 prove the generator is the named one.
  std::uint64_t state = 0;
  EXPECT_EQ(detail::splitmix64_next(state), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(detail::splitmix64_next(state), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(detail::splitmix64_next(state), 0x06C45D188009454FULL);
  // The seed is the ASCII text "peerdist"; the first entries are those docs/chunker.md lists.
  EXPECT_EQ(detail::kGearSeed, 0x7065657264697374ULL);
  EXPECT_EQ(detail::kGearTable[0], 0x3B78AA75AA32BC8FULL);
  EXPECT_EQ(detail::kGearTable[1], 0xEB6C2B6E82302CC1ULL);
  EXPECT_EQ(detail::kGearTable[2], 0x10F95A9E856E072EULL);
}

TEST(Chunker, DefaultParametersAreTheDocumentedOnes) {
  const Chunker chunker;
  EXPECT_EQ(chunker.parameters().min_size, 32U * 1024U);
  EXPECT_EQ(chunker.parameters().target_size, 64U * 1024U);
  EXPECT_EQ(chunker.parameters().max_size, 128U * 1024U);
}

TEST(Chunker, OutputFormatIsPinned) {
  // Boundaries are part of what we publish (every V2 segment ID depends on them). These values
  // were recorded from the implementation documented in docs/chunker.md; if this test fails,
  // the output format changed.
  const Chunker chunker;
  const Bytes content = test::random_content(4 * kMiB, 42);
  const auto lengths = segment_lengths(chunker, content);
  ASSERT_GE(lengths.size(), 8U);
  const std::vector<std::size_t> first(lengths.begin(), lengths.begin() + 8);
  EXPECT_EQ(first,
            (std::vector<std::size_t>{79908, 52624, 66116, 120794, 78633, 66536, 66574, 65663}));
  EXPECT_EQ(lengths.size(), 55U);
}

TEST(Chunker, SegmentsStayWithinBoundsOnRandomData) {
  const Bytes& content = random_16mib();
  for (const ChunkerParameters p :
       {ChunkerParameters{}, ChunkerParameters{2048, 8192, 16384},
        ChunkerParameters{4096, 4096, 4096}, ChunkerParameters{100, 1000, 131072}}) {
    SCOPED_TRACE(std::to_string(p.min_size) + "/" + std::to_string(p.target_size) + "/" +
                 std::to_string(p.max_size));
    const Chunker chunker(p);
    const auto lengths = segment_lengths(chunker, std::span(content).first(4 * kMiB));
    expect_within_bounds(lengths, p, 4 * kMiB);
  }
}

TEST(Chunker, AverageSegmentSizeOnRandomDataIsAsDocumented) {
  // docs/chunker.md states about 77 KiB (measured over 1 GiB): normalisation keeps most cuts
  // just past the 64 KiB target.
  const auto lengths = segment_lengths(Chunker{}, random_16mib());
  const double average =
      static_cast<double>(random_16mib().size()) / static_cast<double>(lengths.size());
  EXPECT_GT(average, 72.0 * 1024);
  EXPECT_LT(average, 83.0 * 1024);
  const auto at_max = std::count(lengths.begin(), lengths.end(), std::size_t{kV2MaxSegmentSize});
  EXPECT_LT(static_cast<double>(at_max), 0.05 * static_cast<double>(lengths.size()));
}

TEST(Chunker, IsDeterministicAndLooksAtMostMaxSizeAhead) {
  const Bytes& content = random_16mib();
  const Chunker chunker;
  const Chunker other;
  const std::size_t max = chunker.parameters().max_size;
  std::size_t at = 0;
  for (int i = 0; i < 64; ++i) {
    const auto rest = std::span(content).subspan(at);
    const std::size_t n = chunker.next_segment(rest, true);
    // Same answer from another instance, and from exactly max_size bytes that are not the end.
    EXPECT_EQ(other.next_segment(rest, true), n);
    EXPECT_EQ(chunker.next_segment(rest.first(max), false), n);
    // Bytes past the cut never matter: change everything after it.
    Bytes changed(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(max));
    std::fill(changed.begin() + static_cast<std::ptrdiff_t>(n), changed.end(), std::uint8_t{0x5A});
    EXPECT_EQ(chunker.next_segment(changed, false), n);
    at += n;
  }
}

TEST(Chunker, ShortContentsAreOneSegment) {
  const Chunker chunker;
  const Bytes content = test::random_content(40000, 7);
  EXPECT_EQ(chunker.next_segment({}, true), 0U);
  EXPECT_EQ(chunker.next_segment(std::span(content).first(1), true), 1U);
  // Up to min_size there is no cut to look for.
  EXPECT_EQ(chunker.next_segment(std::span(content).first(32768), true), 32768U);
  // Past min_size a cut may come, but never before it.
  const std::size_t n = chunker.next_segment(content, true);
  EXPECT_GE(n, 32768U);
  EXPECT_LE(n, content.size());
}

TEST(Chunker, DegenerateInputsRespectTheBounds) {
  const Chunker chunker;
  const ChunkerParameters& p = chunker.parameters();
  Bytes zeros(3 * kMiB + 17, 0);
  expect_within_bounds(segment_lengths(chunker, zeros), p, zeros.size());

  Bytes periodic(3 * kMiB);
  for (std::size_t i = 0; i < periodic.size(); ++i)
    periodic[i] = static_cast<std::uint8_t>(i % 251U);
  expect_within_bounds(segment_lengths(chunker, periodic), p, periodic.size());

  // A random 4 KiB block repeated: every window repeats with period 4096.
  const Bytes block = test::random_content(4096, 3);
  Bytes repeated;
  for (int i = 0; i < 768; ++i) repeated.insert(repeated.end(), block.begin(), block.end());
  expect_within_bounds(segment_lengths(chunker, repeated), p, repeated.size());
}

TEST(Chunker, OutOfRangeParametersAreClamped) {
  const Chunker tiny(ChunkerParameters{0, 0, 0});
  EXPECT_EQ(tiny.parameters().max_size, 1U);
  const Bytes content = test::random_content(100, 5);
  EXPECT_EQ(tiny.next_segment(content, true), 1U);

  const Chunker huge(ChunkerParameters{64 * 1024, 1024, 1U << 20U});
  EXPECT_EQ(huge.parameters().max_size, kV2MaxSegmentSize);
  EXPECT_EQ(huge.parameters().min_size, 64U * 1024U);
  EXPECT_EQ(huge.parameters().target_size, 64U * 1024U);
  expect_within_bounds(segment_lengths(huge, std::span(random_16mib()).first(2 * kMiB)),
                       huge.parameters(), 2 * kMiB);
}

// After an edit, the cut points must fall back onto the original ones: only the segments
// around the edit change.
struct Edit {
  const char* name;
  std::size_t offset;
  std::size_t erase;   // bytes removed at offset
  std::size_t insert;  // random bytes inserted at offset
};

void PrintTo(const Edit& edit, std::ostream* os) {
  *os << edit.name;
}

class ChunkerResync : public ::testing::TestWithParam<Edit> {};

TEST_P(ChunkerResync, MostSegmentsSurviveAnEdit) {
  const Edit edit = GetParam();
  const Bytes& original = random_16mib();
  Bytes edited(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(edit.offset));
  const Bytes inserted = test::random_content(edit.insert, 99);
  edited.insert(edited.end(), inserted.begin(), inserted.end());
  edited.insert(edited.end(),
                original.begin() + static_cast<std::ptrdiff_t>(edit.offset + edit.erase),
                original.end());

  const Chunker chunker;
  const auto before = segment_hods(original, segment_lengths(chunker, original));
  const auto after = segment_hods(edited, segment_lengths(chunker, edited));
  const std::set<std::string> after_set(after.begin(), after.end());
  const auto kept = std::count_if(before.begin(), before.end(),
                                  [&](const std::string& h) { return after_set.contains(h); });
  const auto lost = static_cast<std::ptrdiff_t>(before.size()) - kept;
  RecordProperty("segments", static_cast<int>(before.size()));
  RecordProperty("lost", static_cast<int>(lost));
  EXPECT_GE(static_cast<double>(kept), 0.95 * static_cast<double>(before.size()))
      << lost << " of " << before.size() << " segments lost";
  // The damage is local: a couple of segments, not a tail of the content.
  EXPECT_LE(lost, 3) << lost << " of " << before.size() << " segments lost";
  EXPECT_EQ(before.back(), after.back());
}

INSTANTIATE_TEST_SUITE_P(Edits, ChunkerResync,
                         ::testing::Values(Edit{"InsertNearStart", 1000, 0, 5},
                                           Edit{"DeleteInMiddle", 8 * kMiB, 3, 0},
                                           Edit{"InsertInMiddle", 8 * kMiB + 12345, 0, 100},
                                           Edit{"ReplaceInMiddle", 5 * kMiB, 4096, 4000}),
                         [](const ::testing::TestParamInfo<Edit>& p) {
                           return std::string(p.param.name);
                         });

}  // namespace
}  // namespace peerdist::pccrc
