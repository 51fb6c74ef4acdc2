// encode() reproduces captured and derived CIs byte for byte from the values the vectors list,
// without the content: V1 from the block hashes and the server secret, V2 from the segment
// lengths and HoDs. HoD and Kp are recomputed here, not taken from the vector.
#include <gtest/gtest.h>

#include <string>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/util/hex.hpp"

#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::VectorFile;

ByteRange vector_range(const VectorFile& v) {
  if (v.has("range.start")) return {v.number("range.start"), v.number("range.end")};
  return {0, v.number("content.length")};
}

crypto::HashAlgorithm v1_algorithm(std::uint64_t dw_hash_algo) {
  if (dw_hash_algo == kCalgSha384) return crypto::HashAlgorithm::sha384;
  if (dw_hash_algo == kCalgSha512) return crypto::HashAlgorithm::sha512;
  EXPECT_EQ(dw_hash_algo, kCalgSha256);
  return crypto::HashAlgorithm::sha256;
}

std::string seg_key(std::size_t n) {
  return "segment." + std::to_string(n) + ".";
}

class EncodeV1 : public ::testing::TestWithParam<const char*> {};

TEST_P(EncodeV1, FromBlockHashesAndServerSecret) {
  const auto v = VectorFile::load(GetParam());
  ContentInformation ci;
  ci.scheme = HashScheme{Version::v1, v1_algorithm(v.number("ci.dwHashAlgo"))};
  ci.range = vector_range(v);
  ci.v1.read_bytes_in_last_segment =
      static_cast<std::uint32_t>(v.number("ci.dwReadBytesInLastSegment"));
  const ServerSecret secret(v.bytes("server_secret_key_hex"));
  const crypto::Digest ks = secret.ks(ci.scheme);
  ASSERT_EQ(ks.hex(), v.text("server_secret_ks_hex"));

  for (std::size_t n = 0; n < v.number("ci.cSegments"); ++n) {
    const std::string key = seg_key(n);
    Segment s;
    s.offset = v.number(key + "ullOffsetInContent");
    s.index = SegmentIndex{s.offset / kV1SegmentSize};
    s.length = static_cast<std::uint32_t>(v.number(key + "cbSegment"));
    // These vectors list every block, so HoD is the hash of the listed hashes.
    ASSERT_EQ(v.number(key + "cBlocks_listed"), v.number(key + "blocks_in_segment"));
    crypto::Hasher list_hash(ci.scheme.algorithm);
    for (std::size_t m = 0; m < v.number(key + "cBlocks_listed"); ++m) {
      s.block_hashes.emplace_back(v.bytes(key + "block." + std::to_string(m) + ".hash_hex"));
      list_hash.update(s.block_hashes.back().bytes());
    }
    s.hod = list_hash.finish();
    EXPECT_EQ(s.hod.hex(), v.text(key + "hod_hex"));
    s.kp = derive_kp(ci.scheme, ks, s.hod);
    ci.segments.push_back(std::move(s));
  }
  EXPECT_EQ(util::to_hex(encode(ci)), v.text("ci_hex"));
}

INSTANTIATE_TEST_SUITE_P(Vectors, EncodeV1,
                         ::testing::Values("ipxe-iis85-v1.txt", "derived/iis85-v1-sha384.txt",
                                           "derived/iis85-v1-sha512.txt",
                                           "derived/iis85-v1-range-70000-79999.txt"));

class EncodeV2 : public ::testing::TestWithParam<const char*> {};

TEST_P(EncodeV2, FromSegmentLengthsAndHashes) {
  const auto v = VectorFile::load(GetParam());
  ContentInformation ci;
  ci.scheme = HashScheme::v2();
  ci.range = vector_range(v);
  ci.v2.length_of_range = v.number("ci.ullLengthOfRange");
  const ServerSecret secret(v.bytes("server_secret_key_hex"));
  const crypto::Digest ks = secret.ks(ci.scheme);
  ASSERT_EQ(ks.hex(), v.text("server_secret_ks_hex"));

  for (std::size_t n = 0; v.has(seg_key(n) + "cbSegment"); ++n) {
    const std::string key = seg_key(n);
    Segment s;
    s.index = SegmentIndex{v.number(key + "index_in_content")};
    s.offset = v.number(key + "start");
    s.length = static_cast<std::uint32_t>(v.number(key + "cbSegment"));
    s.hod = crypto::Digest(v.bytes(key + "hod_hex"));
    s.kp = derive_kp(ci.scheme, ks, s.hod);
    ci.segments.push_back(std::move(s));
  }
  ASSERT_FALSE(ci.segments.empty());
  EXPECT_EQ(ci.segments.front().offset, v.number("ci.ullStartInContent"));
  if (v.has("chunk.1.segments")) {
    for (int k = 0; v.has("chunk." + std::to_string(k) + ".segments"); ++k) {
      ci.v2.segments_per_chunk.push_back(
          static_cast<std::uint32_t>(v.number("chunk." + std::to_string(k) + ".segments")));
    }
  }
  EXPECT_EQ(util::to_hex(encode(ci)), v.text("ci_hex"));
}

INSTANTIATE_TEST_SUITE_P(Vectors, EncodeV2,
                         ::testing::Values("ipxe-iis85-v2.txt", "derived/iis85-v2-two-chunks.txt",
                                           "derived/iis85-v2-range-50000-59999.txt"));

}  // namespace
}  // namespace peerdist::pccrc
