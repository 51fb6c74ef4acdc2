// A corpus of broken content information: each case breaks one rule of spec digest §8 once, and
// the error must name the field (and where it starts). Plus every truncation of every vector
// and single-byte corruptions of the captured V1 CI.
#include <sys/mman.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"

#include "ci_fixtures.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::put_be;
using test::put_le;
using test::VectorFile;
using Bytes = std::vector<std::uint8_t>;

// V1 layout with SHA-256 (spec digest §3): 18-byte header, 80-byte descriptions.
constexpr std::size_t kV1Desc = 80;
std::size_t v1_desc(std::size_t i, std::size_t field) {
  return 18 + i * kV1Desc + field;
}
constexpr std::size_t kOffsetInContent = 0, kCbSegment = 8, kCbBlockSize = 12, kHoD = 16;

// V2 layout (§4): 31-byte header, then chunks of a 5-byte header and 68-byte descriptions.
constexpr std::size_t kV2FirstChunk = 31;
constexpr std::size_t kV2FirstSegment = kV2FirstChunk + 5;

void expect_reject(const Bytes& bytes, const std::string& field, std::uint64_t offset) {
  auto ci = parse(bytes);
  ASSERT_FALSE(ci.has_value()) << "accepted; expected an error in " << field;
  EXPECT_EQ(ci.error().field, field) << ci.error().message();
  EXPECT_EQ(ci.error().offset, offset) << ci.error().message();
  EXPECT_FALSE(ci.error().reason.empty());
}

Bytes iis85_v1() {
  return VectorFile::load("ipxe-iis85-v1.txt").bytes("ci_hex");
}
Bytes iis85_v2() {
  return VectorFile::load("ipxe-iis85-v2.txt").bytes("ci_hex");
}

// Three SHA-256 segments (32 MiB, 32 MiB, 100000 bytes): block lists of 512, 512 and 2.
const Bytes& three_segments() {
  static const Bytes bytes = encode(test::make_v1_whole(2ULL * kV1SegmentSize + 100000));
  return bytes;
}
std::size_t three_segments_list(std::size_t i) {
  const std::size_t lists = v1_desc(3, 0);
  return lists + i * (4 + 512 * 32);
}

TEST(ParseRejects, FixturesAreValid) {
  // Every case below breaks exactly one thing of these.
  for (const Bytes& b : {iis85_v1(), iis85_v2(), three_segments()}) {
    auto ci = parse(b);
    ASSERT_TRUE(ci.has_value()) << ci.error().message();
    EXPECT_EQ(encode(*ci), b);
  }
  EXPECT_EQ(three_segments().size(), three_segments_list(2) + 4 + 2 * 32);
}

// ---------------------------------------------------------------------------------------------
// Both versions

TEST(ParseRejects, EmptyAndOneByte) {
  expect_reject({}, "Version", 0);
  expect_reject({0x00}, "Version", 0);
}

TEST(ParseRejects, UnknownVersionBytes) {
  for (const Bytes& prefix : {Bytes{0x01, 0x00}, Bytes{0x00, 0x03}, Bytes{0x01, 0x01},
                              Bytes{0x01, 0x02}, Bytes{0x02, 0x00}}) {
    Bytes b = iis85_v1();
    b[0] = prefix[0];
    b[1] = prefix[1];
    expect_reject(b, "Version", 0);
  }
}

TEST(ParseRejects, LargerThanTheCap) {
  // Reserved but never touched address space: parse() must refuse by size alone.
  const std::size_t size = kMaxContentInformationSize + 1;
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto ci = parse(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), size));
  munmap(p, size);
  ASSERT_FALSE(ci.has_value());
  EXPECT_EQ(ci.error().field, "content information");
  EXPECT_EQ(ci.error().offset, 0U);
}

// ---------------------------------------------------------------------------------------------
// V1 rule 1: header

TEST(ParseRejectsV1, ShortHeader) {
  const Bytes b = iis85_v1();
  expect_reject(Bytes(b.begin(), b.begin() + 5), "dwHashAlgo", 2);
  expect_reject(Bytes(b.begin(), b.begin() + 9), "dwOffsetInFirstSegment", 6);
  expect_reject(Bytes(b.begin(), b.begin() + 13), "dwReadBytesInLastSegment", 10);
  expect_reject(Bytes(b.begin(), b.begin() + 17), "cSegments", 14);
}

TEST(ParseRejectsV1, UnknownHashAlgo) {
  for (const std::uint32_t algo : {0x00008004U /* CALG_SHA1 */, 0x0000800FU, 0U, 0x0C800000U}) {
    Bytes b = iis85_v1();
    put_le(b, 2, algo, 4);
    expect_reject(b, "dwHashAlgo", 2);
  }
}

// V1 rule 2: cSegments

TEST(ParseRejectsV1, NoSegments) {
  Bytes b = iis85_v1();
  put_le(b, 14, 0, 4);
  expect_reject(b, "cSegments", 14);
}

TEST(ParseRejectsV1, MoreSegmentsThanTheBufferHolds) {
  for (const std::uint32_t count : {2U, 1000U, 0xFFFFFFFFU}) {
    Bytes b = iis85_v1();
    put_le(b, 14, count, 4);
    expect_reject(b, "cSegments", 14);
  }
}

// V1 rule 3: sizes

TEST(ParseRejectsV1, BlockSizeOtherThan64KiB) {
  for (const std::uint32_t size : {0U, 4096U, 65535U, 65537U, 131072U}) {
    Bytes b = iis85_v1();
    put_le(b, v1_desc(0, kCbBlockSize), size, 4);
    expect_reject(b, "segment[0].cbBlockSize", v1_desc(0, kCbBlockSize));
  }
  Bytes b = three_segments();
  put_le(b, v1_desc(1, kCbBlockSize), 32768, 4);
  expect_reject(b, "segment[1].cbBlockSize", v1_desc(1, kCbBlockSize));
}

TEST(ParseRejectsV1, SegmentLengthZeroOrAbove32MiB) {
  for (const std::uint32_t length : {0U, kV1SegmentSize + 1, 0xFFFFFFFFU}) {
    Bytes b = iis85_v1();
    put_le(b, v1_desc(0, kCbSegment), length, 4);
    expect_reject(b, "segment[0].cbSegment", v1_desc(0, kCbSegment));
  }
  Bytes b = three_segments();
  put_le(b, v1_desc(2, kCbSegment), 0, 4);
  expect_reject(b, "segment[2].cbSegment", v1_desc(2, kCbSegment));
}

// V1 rule 4: offsets

TEST(ParseRejectsV1, MisalignedSegmentOffset) {
  for (const std::uint64_t offset :
       {1ULL, 65536ULL, kV1SegmentSize - 1ULL, 0x8000000000000000ULL + 1}) {
    Bytes b = iis85_v1();
    put_le(b, v1_desc(0, kOffsetInContent), offset, 8);
    expect_reject(b, "segment[0].ullOffsetInContent", v1_desc(0, kOffsetInContent));
  }
}

TEST(ParseRejectsV1, NonContiguousSegments) {
  Bytes gap = three_segments();
  put_le(gap, v1_desc(1, kOffsetInContent), 2ULL * kV1SegmentSize, 8);
  expect_reject(gap, "segment[1].ullOffsetInContent", v1_desc(1, kOffsetInContent));
  Bytes backwards = three_segments();
  put_le(backwards, v1_desc(2, kOffsetInContent), 0, 8);
  expect_reject(backwards, "segment[2].ullOffsetInContent", v1_desc(2, kOffsetInContent));
}

TEST(ParseRejectsV1, ShortSegmentBeforeTheLast) {
  Bytes b = three_segments();
  put_le(b, v1_desc(1, kCbSegment), kV1SegmentSize - kV1BlockSize, 4);
  expect_reject(b, "segment[1].cbSegment", v1_desc(1, kCbSegment));
}

TEST(ParseRejectsV1, SegmentEndOverflows64Bits) {
  // The last 32 MiB-aligned offset, with a full segment, ends exactly at 2^64.
  const std::uint64_t top = 0ULL - kV1SegmentSize;
  Bytes b = iis85_v1();
  put_le(b, v1_desc(0, kOffsetInContent), top, 8);
  put_le(b, v1_desc(0, kCbSegment), kV1SegmentSize, 4);
  expect_reject(b, "segment[0].ullOffsetInContent", v1_desc(0, kOffsetInContent));
  // Several segments: the first already ends at 2^64.
  Bytes m = three_segments();
  put_le(m, v1_desc(0, kOffsetInContent), top, 8);
  expect_reject(m, "segment[0].ullOffsetInContent", v1_desc(0, kOffsetInContent));
}

TEST(ParseRejectsV1, SegmentJustBelow2To64IsAccepted) {
  // The boundary of the case above: a short last segment up there does fit.
  Bytes b = iis85_v1();
  put_le(b, v1_desc(0, kOffsetInContent), 0ULL - kV1SegmentSize, 8);
  auto ci = parse(b);
  ASSERT_TRUE(ci.has_value()) << ci.error().message();
  EXPECT_EQ(ci->range.end, 0ULL - kV1SegmentSize + 99710);
  EXPECT_EQ(ci->segments[0].index.value(), (0ULL - kV1SegmentSize) / kV1SegmentSize);
  EXPECT_EQ(encode(*ci), b);
}

// V1 rule 5: range fields

TEST(ParseRejectsV1, OffsetInFirstSegmentPastTheSegment) {
  for (const std::uint32_t offset : {99710U, 99711U, 0xFFFFFFFFU}) {
    Bytes b = iis85_v1();
    put_le(b, 6, offset, 4);
    expect_reject(b, "dwOffsetInFirstSegment", 6);
  }
}

TEST(ParseRejectsV1, ReadBytesPastTheLastSegment) {
  Bytes b = iis85_v1();
  put_le(b, 10, 99711, 4);
  expect_reject(b, "dwReadBytesInLastSegment", 10);
  Bytes m = three_segments();
  put_le(m, 10, 100001, 4);
  expect_reject(m, "dwReadBytesInLastSegment", 10);
  // One segment: the read bytes count from the range start.
  Bytes single = iis85_v1();
  put_le(single, 6, 50000, 4);
  put_le(single, 10, 49711, 4);
  expect_reject(single, "dwReadBytesInLastSegment", 10);
}

TEST(ParseRejectsV1, ThreeSpellingsOfTheWholeLastSegmentAreAccepted) {
  // 0, cbSegment, and (one segment) cbSegment - dwOffsetInFirstSegment all mean "to its end".
  for (const auto& [offset, read] : {std::pair{0U, 0U}, std::pair{0U, 99710U},
                                     std::pair{70000U, 29710U}, std::pair{70000U, 0U}}) {
    Bytes b = iis85_v1();
    put_le(b, 6, offset, 4);
    put_le(b, 10, read, 4);
    auto ci = parse(b);
    ASSERT_TRUE(ci.has_value()) << ci.error().message();
    EXPECT_EQ(ci->range, (ByteRange{offset, 99710}));
    EXPECT_EQ(encode(*ci), b);
  }
}

// V1 rule 6: block lists

TEST(ParseRejectsV1, NoBlocksListed) {
  Bytes b = iis85_v1();
  put_le(b, 98, 0, 4);
  expect_reject(b, "segment[0].cBlocks", 98);
}

TEST(ParseRejectsV1, MoreBlocksThanTheSegmentHas) {
  for (const std::uint32_t count : {3U, 513U, 0xFFFFFFFFU}) {
    Bytes b = iis85_v1();
    put_le(b, 98, count, 4);
    expect_reject(b, "segment[0].cBlocks", 98);
  }
}

TEST(ParseRejectsV1, BlockListShorterThanTheRange) {
  // A whole CI listing only block 0 of two; the hashes that follow are then trailing bytes,
  // but the count is what is wrong.
  Bytes b = iis85_v1();
  put_le(b, 98, 1, 4);
  expect_reject(b, "segment[0].cBlocks", 98);
}

TEST(ParseRejectsV1, IncompleteListOfASegmentInsideTheRange) {
  Bytes b = three_segments();
  put_le(b, three_segments_list(1), 511, 4);
  expect_reject(b, "segment[1].cBlocks", three_segments_list(1));
  // Also for the first segment of a whole CI, which the range covers entirely.
  Bytes first = three_segments();
  put_le(first, three_segments_list(0), 2, 4);
  expect_reject(first, "segment[0].cBlocks", three_segments_list(0));
}

TEST(ParseRejectsV1, BlockHashesPastTheEnd) {
  Bytes b = iis85_v1();
  b.pop_back();
  expect_reject(b, "segment[0].BlockHashes", 102);
}

// V1 rule 7: HoD

TEST(ParseRejectsV1, HashOfDataDoesNotMatchTheBlockList) {
  Bytes b = iis85_v1();
  b[102] ^= 0x01;  // first byte of BlockHash[0]
  expect_reject(b, "segment[0].SegmentHashOfData", v1_desc(0, kHoD));
  Bytes m = three_segments();
  m[three_segments_list(2) + 4 + 40] ^= 0x80;
  expect_reject(m, "segment[2].SegmentHashOfData", v1_desc(2, kHoD));
}

TEST(ParseRejectsV1, TrailingGarbage) {
  for (const Bytes& tail : {Bytes{0x00}, Bytes(32, 0xAB)}) {
    Bytes b = iis85_v1();
    b.insert(b.end(), tail.begin(), tail.end());
    expect_reject(b, "end of content information", 166);
  }
}

// ---------------------------------------------------------------------------------------------
// V2 rule 1: header

TEST(ParseRejectsV2, ShortHeader) {
  const Bytes b = iis85_v2();
  expect_reject(Bytes(b.begin(), b.begin() + 2), "bHashAlgo", 2);
  expect_reject(Bytes(b.begin(), b.begin() + 10), "ullStartInContent", 3);
  expect_reject(Bytes(b.begin(), b.begin() + 18), "ullIndexOfFirstSegment", 11);
  expect_reject(Bytes(b.begin(), b.begin() + 22), "dwOffsetInFirstSegment", 19);
  expect_reject(Bytes(b.begin(), b.begin() + 30), "ullLengthOfRange", 23);
  // A header and nothing else: at least one chunk with one segment is required.
  expect_reject(Bytes(b.begin(), b.begin() + 31), "chunk[0].bChunkType", 31);
}

TEST(ParseRejectsV2, UnknownHashAlgo) {
  for (const int algo : {0x00, 0x01 /* spec 3.7's misprint */, 0x03, 0x05, 0xFF}) {
    Bytes b = iis85_v2();
    b[2] = static_cast<std::uint8_t>(algo);
    expect_reject(b, "bHashAlgo", 2);
  }
}

// V2 rule 2: chunks

TEST(ParseRejectsV2, UnknownChunkType) {
  Bytes b = iis85_v2();
  b[kV2FirstChunk] = 0x01;
  expect_reject(b, "chunk[0].bChunkType", kV2FirstChunk);
  Bytes two = VectorFile::load("derived/iis85-v2-two-chunks.txt").bytes("ci_hex");
  two[kV2FirstSegment + 68] = 0x02;
  expect_reject(two, "chunk[1].bChunkType", kV2FirstSegment + 68);
}

TEST(ParseRejectsV2, ChunkDataLengthZero) {
  Bytes b = iis85_v2();
  put_be(b, kV2FirstChunk + 1, 0, 4);
  expect_reject(b, "chunk[0].dwChunkDataLength", kV2FirstChunk + 1);
}

TEST(ParseRejectsV2, ChunkDataLengthNotAMultipleOf68) {
  for (const std::uint32_t length : {1U, 67U, 69U, 135U, 137U}) {
    Bytes b = iis85_v2();
    put_be(b, kV2FirstChunk + 1, length, 4);
    expect_reject(b, "chunk[0].dwChunkDataLength", kV2FirstChunk + 1);
  }
}

TEST(ParseRejectsV2, ChunkPastTheEnd) {
  for (const std::uint32_t length : {204U, 68U * 1000U, 0xFFFFFFFFU / 68U * 68U}) {
    Bytes b = iis85_v2();
    put_be(b, kV2FirstChunk + 1, length, 4);
    expect_reject(b, "chunk[0].dwChunkDataLength", kV2FirstChunk + 1);
  }
}

TEST(ParseRejectsV2, TrailingPartialChunk) {
  // After the last chunk, whatever follows is read as another chunk.
  const Bytes base = iis85_v2();
  for (const Bytes& tail :
       {Bytes{0x00}, Bytes{0x00, 0x00, 0x00}, Bytes{0x00, 0x00, 0x00, 0x00, 0x44}}) {
    Bytes b = base;
    b.insert(b.end(), tail.begin(), tail.end());
    expect_reject(b, "chunk[1].dwChunkDataLength", base.size() + 1);
  }
  Bytes garbage = base;
  garbage.push_back(0xAB);
  expect_reject(garbage, "chunk[1].bChunkType", base.size());
}

TEST(ParseRejectsV2, SegmentDescriptionCutShort) {
  Bytes b = iis85_v2();
  b.pop_back();  // dwChunkDataLength still says 136: two segments
  expect_reject(b, "chunk[0].dwChunkDataLength", kV2FirstChunk + 1);
}

// V2 rule 3: segment sizes

TEST(ParseRejectsV2, SegmentLengthZeroOrAbove128KiB) {
  for (const std::uint32_t length : {0U, kV2MaxSegmentSize + 1, 0xFFFFFFFFU}) {
    Bytes b = iis85_v2();
    put_be(b, kV2FirstSegment, length, 4);
    expect_reject(b, "segment[0].cbSegment", kV2FirstSegment);
  }
  Bytes b = iis85_v2();
  put_be(b, kV2FirstSegment + 68, 0, 4);
  expect_reject(b, "segment[1].cbSegment", kV2FirstSegment + 68);
}

TEST(ParseRejectsV2, SegmentOf128KiBIsAccepted) {
  Bytes b = iis85_v2();
  put_be(b, kV2FirstSegment + 68, kV2MaxSegmentSize, 4);
  auto ci = parse(b);
  ASSERT_TRUE(ci.has_value()) << ci.error().message();
  EXPECT_EQ(ci->range.end, 39390U + kV2MaxSegmentSize);
}

// V2 rule 4: range fields

TEST(ParseRejectsV2, OffsetInFirstSegmentPastTheSegment) {
  for (const std::uint32_t offset : {39390U, 39391U, 0xFFFFFFFFU}) {
    Bytes b = iis85_v2();
    put_be(b, 19, offset, 4);
    expect_reject(b, "dwOffsetInFirstSegment", 19);
  }
}

TEST(ParseRejectsV2, RangeNotEndingInTheLastSegment) {
  // Segments [0, 39390) and [39390, 99710).
  for (const std::uint64_t length : {1ULL, 39390ULL, 99711ULL, 0xFFFFFFFFFFFFFFFFULL}) {
    Bytes b = iis85_v2();
    put_be(b, 23, length, 8);
    expect_reject(b, "ullLengthOfRange", 23);
  }
  // From an offset into the first segment, the end moves with the start.
  Bytes b = iis85_v2();
  put_be(b, 19, 1000, 4);
  put_be(b, 23, 99710 - 1000 + 1, 8);
  expect_reject(b, "ullLengthOfRange", 23);
}

TEST(ParseRejectsV2, RangeEndingInTheLastSegmentIsAccepted) {
  for (const std::uint64_t length : {39391ULL, 99710ULL}) {
    Bytes b = iis85_v2();
    put_be(b, 23, length, 8);
    auto ci = parse(b);
    ASSERT_TRUE(ci.has_value()) << ci.error().message();
    EXPECT_EQ(ci->range, (ByteRange{0, length}));
    EXPECT_EQ(encode(*ci), b);
  }
}

// V2 rule 5: overflow

TEST(ParseRejectsV2, StartPlusSegmentLengthsOverflows) {
  // The first segment ends exactly at 2^64 - 1; the second cannot follow it.
  Bytes b = iis85_v2();
  put_be(b, 3, 0ULL - 39390 - 1, 8);
  expect_reject(b, "segment[1].cbSegment", kV2FirstSegment + 68);
  Bytes first = iis85_v2();
  put_be(first, 3, 0xFFFFFFFFFFFFFFFFULL, 8);
  expect_reject(first, "segment[0].cbSegment", kV2FirstSegment);
}

TEST(ParseRejectsV2, SegmentIndexOverflows) {
  Bytes b = iis85_v2();
  put_be(b, 11, 0xFFFFFFFFFFFFFFFFULL, 8);  // fine for segment 0, not for segment 1
  expect_reject(b, "ullIndexOfFirstSegment", 11);
}

// ---------------------------------------------------------------------------------------------
// Truncations and corruptions of real CIs

std::vector<std::string> vectors_with_ci() {
  return {"ipxe-iis85-v1.txt",
          "ipxe-iis85-v2.txt",
          "derived/iis85-v1-range-70000-79999.txt",
          "derived/iis85-v1-sha384.txt",
          "derived/iis85-v1-sha512.txt",
          "derived/iis85-v2-range-50000-59999.txt",
          "derived/iis85-v2-two-chunks.txt",
          "derived/synthetic-v1-2seg.txt",
          "derived/synthetic-v1-2seg-range-100000-33599999.txt"};
}

// Where each V2 chunk ends: V2 has no chunk count, so a CI cut there is a valid, shorter CI.
std::vector<std::size_t> v2_chunk_ends(const ContentInformation& ci) {
  std::vector<std::uint32_t> chunks = ci.v2.segments_per_chunk;
  if (chunks.empty()) chunks.push_back(static_cast<std::uint32_t>(ci.segments.size()));
  std::vector<std::size_t> ends;
  std::size_t at = kV2HeaderSize;
  for (const std::uint32_t n : chunks) ends.push_back(at += kV2ChunkHeaderSize + n * 68U);
  return ends;
}

TEST(ParseRejects, EveryTruncationOfEveryVector) {
  for (const auto& file : vectors_with_ci()) {
    const Bytes b = VectorFile::load(file).bytes("ci_hex");
    auto whole = parse(b);
    ASSERT_TRUE(whole.has_value()) << file;
    const auto chunk_ends =
        whole->version() == Version::v2 ? v2_chunk_ends(*whole) : std::vector<std::size_t>{};
    for (std::size_t n = 0; n < b.size(); ++n) {
      // A copy of exactly n bytes, so that ASan sees any read past the prefix.
      const Bytes prefix(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
      auto ci = parse(prefix);
      // The leading chunks alone are a CI of fewer segments, unless ullLengthOfRange says
      // where the range ends.
      if (whole->v2.length_of_range == 0 &&
          std::find(chunk_ends.begin(), chunk_ends.end(), n) != chunk_ends.end()) {
        ASSERT_TRUE(ci.has_value()) << file << " cut after a chunk: " << ci.error().message();
        EXPECT_TRUE(std::equal(ci->segments.begin(), ci->segments.end(), whole->segments.begin()));
        EXPECT_EQ(encode(*ci), prefix);
        continue;
      }
      ASSERT_FALSE(ci.has_value()) << file << " cut to " << n << " bytes was accepted";
      EXPECT_LE(ci.error().offset, n) << file << " cut to " << n;
    }
  }
}

TEST(ParseRejects, SingleByteCorruptionsOfTheV1Vector) {
  // Each corruption is either rejected or is a different valid CI that re-encodes to exactly
  // the corrupted bytes. The hashes HoD and the block list must agree, so any change in either
  // is rejected; Kp is not checkable and must be accepted.
  const Bytes original = iis85_v1();
  const std::size_t hod = v1_desc(0, kHoD), kp = hod + 32, list = 102;
  for (std::size_t at = 0; at < original.size(); ++at) {
    for (const int flip : {0x01, 0x80, 0xFF}) {
      Bytes b = original;
      b[at] = static_cast<std::uint8_t>(b[at] ^ flip);
      auto ci = parse(b);
      if (ci.has_value()) {
        EXPECT_EQ(encode(*ci), b) << "byte " << at << " ^ " << flip;
      }
      if ((at >= hod && at < kp) || at >= list) {
        EXPECT_FALSE(ci.has_value()) << "hash byte " << at << " ^ " << flip;
      } else if (at >= kp && at < kp + 32) {
        EXPECT_TRUE(ci.has_value()) << "Kp byte " << at << " ^ " << flip;
      }
    }
  }
}

}  // namespace
}  // namespace peerdist::pccrc
