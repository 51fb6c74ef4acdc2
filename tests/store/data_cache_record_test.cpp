// The encodings of a data cache row (src/store/data_cache_record.hpp): descriptors of real
// segments round-trip, every cut and every impossible field is refused, bitmaps and rows are
// checked against each other; and the fuzzer's corpus replayed through its checks.
#include "data_cache_record.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "data_cache_fixtures.hpp"
#include "data_cache_record_target.hpp"

namespace peerdist::store::cache_record {
namespace {

using test::Bytes;

std::vector<pccrc::SegmentDescriptor> sample_descriptors() {
  std::vector<pccrc::SegmentDescriptor> out;
  for (const crypto::HashAlgorithm a :
       {crypto::HashAlgorithm::sha256, crypto::HashAlgorithm::sha384,
        crypto::HashAlgorithm::sha512}) {
    const auto content = test::make_content(300000, 5, {pccrc::Version::v1, a});
    out.push_back(content.segments[0]);
    pccrc::SegmentDescriptor partial = content.segments[0];  // as a range CI knows it
    partial.block_hashes[0] = {};
    partial.block_hashes[3] = {};
    out.push_back(partial);
  }
  const auto v2 = test::make_content(200000, 6, pccrc::HashScheme::v2());
  out.push_back(v2.segments[0]);
  return out;
}

TEST(DataCacheRecord, DescriptorsRoundTrip) {
  for (const auto& d : sample_descriptors()) {
    const Bytes encoded = encode_descriptor(d);
    auto decoded = decode_descriptor(encoded);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, d);
    EXPECT_EQ(peerdist_fuzz_data_cache_record(encoded.data(), encoded.size()), std::nullopt);
  }
}

TEST(DataCacheRecord, EveryTruncationAndExtensionIsRefused) {
  for (const auto& d : sample_descriptors()) {
    const Bytes encoded = encode_descriptor(d);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
      const auto cut = decode_descriptor(std::span(encoded).first(n));
      ASSERT_FALSE(cut) << "accepted " << n << " of " << encoded.size() << " bytes";
      EXPECT_LE(cut.error().offset, n);
    }
    Bytes longer = encoded;
    longer.push_back(0);
    EXPECT_FALSE(decode_descriptor(longer));
  }
}

TEST(DataCacheRecord, ImpossibleFieldsAreRefused) {
  const auto d = sample_descriptors().front();  // V1 SHA-256, 5 blocks, all known
  const Bytes good = encode_descriptor(d);
  ASSERT_TRUE(decode_descriptor(good));
  const auto refused = [&](std::size_t at, std::uint8_t value) {
    Bytes b = good;
    b.at(at) = value;
    return !decode_descriptor(b).has_value();
  };
  EXPECT_TRUE(refused(0, 2));     // format
  EXPECT_TRUE(refused(1, 3));     // version
  EXPECT_TRUE(refused(2, 3));     // algorithm
  EXPECT_TRUE(refused(1, 2));     // V2 with a V1 body (and SHA-256)
  EXPECT_TRUE(refused(6, 0x10));  // segment_length 300000 + 256 MiB
  EXPECT_TRUE(refused(8, 0x01));  // block_size 65536 + 256
  const std::size_t count_at = 11 + 3 * 32;
  EXPECT_TRUE(refused(count_at, 6));         // block count 6 for 5 blocks
  EXPECT_TRUE(refused(count_at + 4, 0x3f));  // a known bit past the last block
}

TEST(DataCacheRecord, BitmapsHaveOneBitPerBlockAndNoStrayBits) {
  BlockBitmap b(11);
  EXPECT_EQ(b.bytes().size(), 2U);
  b.set(0);
  b.set(10);
  EXPECT_EQ(b.count(), 2U);
  EXPECT_TRUE(b.test(10));
  EXPECT_FALSE(b.test(9));
  b.reset(0);
  EXPECT_EQ(b.to_bools(), (std::vector<bool>{false, false, false, false, false, false, false, false,
                                             false, false, true}));
  EXPECT_TRUE(BlockBitmap::decode(b.bytes(), 11));
  EXPECT_FALSE(BlockBitmap::decode(b.bytes(), 17));         // wrong size
  EXPECT_FALSE(BlockBitmap::decode(Bytes{0, 0x08}, 11));    // bit 11 set
  EXPECT_TRUE(BlockBitmap::decode(Bytes{0xff, 0x07}, 11));  // bits 0..10
  EXPECT_TRUE(BlockBitmap::decode(Bytes{}, 0));
}

RawRow raw_v1(std::span<const std::uint8_t> id, std::span<const std::uint8_t> present) {
  RawRow raw;
  raw.id = 7;
  raw.segment_id = id;
  raw.version = 1;
  raw.segment_length = 300000;
  raw.block_size = 65536;
  raw.present = present;
  return raw;
}

TEST(DataCacheRecord, RowsAreCheckedAgainstTheirOwnColumns) {
  const Bytes id(32, 0xab);
  const Bytes present{0x11};  // blocks 0 and 4 (the short last one)
  RawRow raw = raw_v1(id, present);
  raw.present_count = 2;
  raw.bytes_present = 65536 + (300000 - 4 * 65536);
  auto row = decode_row(raw);
  ASSERT_TRUE(row) << row.error().message();
  EXPECT_EQ(row->bytes_present, 65536U + 37856U);
  EXPECT_EQ(row->geometry.block_count(), 5U);
  EXPECT_EQ(row->geometry.block_length(4), 37856U);

  const auto refused = [&](auto change) {
    RawRow r = raw;
    change(r);
    return !decode_row(r).has_value();
  };
  EXPECT_TRUE(refused([](RawRow& r) { r.present_count = 3; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.bytes_present = 2 * 65536; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.bytes_present = -1; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.version = 3; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.block_size = 4096; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.segment_length = 0; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.segment_length = std::int64_t{1} << 40U; }));
  EXPECT_TRUE(refused([](RawRow& r) { r.segment_length = (32 << 20) + 1; }));
  EXPECT_TRUE(refused([&](RawRow& r) { r.segment_id = std::span(id).first(31); }));
  const Bytes wide{0x11, 0x00};
  EXPECT_TRUE(refused([&](RawRow& r) { r.present = wide; }));
  // V2: one block, as long as the segment, at most 128 KiB, 32-byte IDs.
  EXPECT_TRUE(refused([](RawRow& r) { r.version = 2; }));  // block size is not the length
  RawRow v2 = raw;
  v2.version = 2;
  v2.segment_length = v2.block_size = 70000;
  const Bytes one{0x01};
  v2.present = one;
  v2.present_count = 1;
  v2.bytes_present = 70000;
  EXPECT_TRUE(decode_row(v2));
  const Bytes long_id(48, 1);
  v2.segment_id = long_id;
  EXPECT_FALSE(decode_row(v2));
}

TEST(DataCacheRecord, FuzzCorpusReplays) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/data_cache_record";
  std::size_t files = 0;
  std::size_t descriptors = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    ++files;
    if (decode_descriptor(bytes)) ++descriptors;
    const auto failure = peerdist_fuzz_data_cache_record(bytes.data(), bytes.size());
    EXPECT_FALSE(failure.has_value()) << entry.path().filename() << ": " << failure.value_or("");
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
  EXPECT_GT(descriptors, 0U);
}

}  // namespace
}  // namespace peerdist::store::cache_record
