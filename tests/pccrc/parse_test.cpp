// parse() against every vector that has CI bytes (values read from the vector files), and the
// spec appendix's structural examples (field offsets of an encoded model, then parsed back).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/util/hex.hpp"

#include "ci_fixtures.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::VectorFile;

// Every vector file (relative path) whose name starts with `prefix` and that has `key`. Scanned
// at registration time so that a new vector is tested without editing this file.
std::vector<std::string> vectors_with(const std::string& key, const std::string& prefix = "") {
  std::vector<std::string> out;
  const auto dir = VectorFile::directory();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".txt" ||
        !entry.path().filename().string().starts_with(prefix)) {
      continue;
    }
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with(key + ": ")) {
        out.push_back(std::filesystem::relative(entry.path(), dir).generic_string());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

crypto::HashAlgorithm v1_algorithm(std::uint64_t dw_hash_algo) {
  switch (dw_hash_algo) {
    case kCalgSha384: return crypto::HashAlgorithm::sha384;
    case kCalgSha512: return crypto::HashAlgorithm::sha512;
    default: EXPECT_EQ(dw_hash_algo, kCalgSha256); return crypto::HashAlgorithm::sha256;
  }
}

// The range a vector says its CI describes: explicit, or the whole content.
ByteRange expected_range(const VectorFile& v) {
  if (v.has("expected.range.start")) {
    return {v.number("expected.range.start"), v.number("expected.range.end")};
  }
  if (v.has("range.start")) return {v.number("range.start"), v.number("range.end")};
  return {0, v.number("content.length")};
}

// ---------------------------------------------------------------------------------------------
// Vectors with ci_hex.

class ParseVector : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseVector, ParsesToEveryListedValueAndReencodesByteForByte) {
  const auto v = VectorFile::load(GetParam());
  const auto bytes = v.bytes("ci_hex");
  ASSERT_EQ(bytes.size(), v.number("ci.length"));
  auto ci = parse(bytes);
  ASSERT_TRUE(ci.has_value()) << ci.error().message();

  EXPECT_EQ(to_string(ci->version()), v.text("ci.version"));
  EXPECT_EQ(ci->hash_size(), v.number("ci.hash_size"));
  EXPECT_EQ(ci->offset_in_first_segment(), v.number("ci.dwOffsetInFirstSegment"));
  EXPECT_EQ(ci->range, expected_range(v));

  if (ci->version() == Version::v1) {
    EXPECT_EQ(ci->scheme.algorithm, v1_algorithm(v.number("ci.dwHashAlgo")));
    EXPECT_EQ(ci->v1.read_bytes_in_last_segment, v.number("ci.dwReadBytesInLastSegment"));
    EXPECT_EQ(ci->segments.size(), v.number("ci.cSegments"));
  } else {
    EXPECT_EQ(v.number("ci.bHashAlgo"), kV2HashAlgoSha512Trunc);
    ASSERT_FALSE(ci->segments.empty());
    EXPECT_EQ(ci->segments.front().offset, v.number("ci.ullStartInContent"));
    EXPECT_EQ(ci->segments.front().index.value(), v.number("ci.ullIndexOfFirstSegment"));
    EXPECT_EQ(ci->v2.length_of_range, v.number("ci.ullLengthOfRange"));
    std::vector<std::uint32_t> per_chunk;
    for (int k = 0; v.has("chunk." + std::to_string(k) + ".segments"); ++k) {
      const std::string chunk = "chunk." + std::to_string(k) + ".";
      EXPECT_EQ(v.number(chunk + "bChunkType"), kV2ChunkType);
      EXPECT_EQ(v.number(chunk + "dwChunkDataLength"),
                v.number(chunk + "segments") * kV2SegmentDescriptionSize);
      per_chunk.push_back(static_cast<std::uint32_t>(v.number(chunk + "segments")));
    }
    ASSERT_FALSE(per_chunk.empty());
    if (per_chunk.size() == 1) per_chunk.clear();  // the model's spelling of "one chunk"
    EXPECT_EQ(ci->v2.segments_per_chunk, per_chunk);
  }

  std::size_t listed_segments = 0;
  for (std::size_t n = 0; v.has("segment." + std::to_string(n) + ".cbSegment"); ++n) {
    ++listed_segments;
    ASSERT_LT(n, ci->segments.size());
    const Segment& seg = ci->segments[n];
    const std::string key = "segment." + std::to_string(n) + ".";
    SCOPED_TRACE(key);
    EXPECT_EQ(seg.length, v.number(key + "cbSegment"));
    EXPECT_EQ(seg.hod.hex(), v.text(key + "hod_hex"));
    EXPECT_EQ(seg.kp.hex(), v.text(key + "kp_hex"));
    EXPECT_EQ(ci->segment_id(seg).hex(), v.text(key + "hohodk_hex"));
    const auto blocks = ci->blocks(seg);
    if (ci->version() == Version::v2) {
      EXPECT_EQ(seg.index.value(), v.number(key + "index_in_content"));
      EXPECT_EQ(seg.offset, v.number(key + "start"));
      ASSERT_EQ(blocks.size(), 1U);  // a V2 segment is one block, hashed by HoD
      EXPECT_EQ(blocks[0].offset, seg.offset);
      EXPECT_EQ(blocks[0].length, seg.length);
      EXPECT_EQ(blocks[0].hash, seg.hod);
      continue;
    }
    EXPECT_EQ(seg.offset, v.number(key + "ullOffsetInContent"));
    EXPECT_EQ(seg.index.value(), v.number(key + "ullOffsetInContent") / kV1SegmentSize);
    EXPECT_EQ(v.number(key + "cbBlockSize"), kV1BlockSize);
    EXPECT_EQ(blocks.size(), v.number(key + "cBlocks_listed"));
    std::size_t checked = 0;
    for (const Block& block : blocks) {
      const std::string bkey = key + "block." + std::to_string(block.index.value()) + ".";
      if (!v.has(bkey + "start")) continue;  // big segments spell out only a few blocks
      ++checked;
      EXPECT_EQ(block.offset, v.number(bkey + "start")) << bkey;
      EXPECT_EQ(block.offset + block.length, v.number(bkey + "end")) << bkey;
      EXPECT_EQ(block.hash.hex(), v.text(bkey + "hash_hex")) << bkey;
    }
    EXPECT_GT(checked, 0U) << "no listed block of this segment is spelt out in the vector";
  }
  EXPECT_EQ(listed_segments, ci->segments.size());

  EXPECT_EQ(util::to_hex(encode(*ci)), util::to_hex(bytes));
}

INSTANTIATE_TEST_SUITE_P(Vectors, ParseVector, ::testing::ValuesIn(vectors_with("ci_hex")),
                         test_name);

TEST(Parse, VectorsWithCiBytesExist) {
  // Guards the scan above: an empty list would silently test nothing.
  EXPECT_GE(vectors_with("ci_hex").size(), 2U);
  EXPECT_GE(vectors_with("field.00", "spec-").size(), 2U);
}

TEST(Parse, TwoChunksParseToTheSameSegmentsAsOne) {
  const auto one = parse(VectorFile::load("ipxe-iis85-v2.txt").bytes("ci_hex"));
  const auto two = parse(VectorFile::load("derived/iis85-v2-two-chunks.txt").bytes("ci_hex"));
  ASSERT_TRUE(one.has_value()) << one.error().message();
  ASSERT_TRUE(two.has_value()) << two.error().message();
  EXPECT_EQ(two->segments, one->segments);
  EXPECT_EQ(two->range, one->range);
  EXPECT_EQ(two->v2.length_of_range, one->v2.length_of_range);
  EXPECT_TRUE(one->v2.segments_per_chunk.empty());
  EXPECT_EQ(two->v2.segments_per_chunk, (std::vector<std::uint32_t>{1, 1}));
  for (std::size_t i = 0; i < one->segments.size(); ++i) {
    EXPECT_EQ(two->segment_id(two->segments[i]), one->segment_id(one->segments[i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Spec appendix examples: offsets, sizes and header values only, no hashes. Build a model with
// made-up hashes that satisfies what the example says, encode it, and check every listed field.

struct SpecField {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::string type;
  std::size_t segment = 0;  // "seg2.cbSegment" -> 2; fields without a prefix -> 0
  std::string name;         // without the "segN." prefix
  std::string value;
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<SpecField> spec_fields(const VectorFile& v) {
  std::vector<SpecField> out;
  for (int n = 0;; ++n) {
    const std::string key = (n < 10 ? "field.0" : "field.") + std::to_string(n);
    if (!v.has(key)) break;
    std::vector<std::string> cols;
    std::stringstream row(v.text(key));
    for (std::string col; std::getline(row, col, '|');) cols.push_back(trim(col));
    EXPECT_EQ(cols.size(), 5U) << key;
    if (cols.size() != 5) continue;
    SpecField f;
    f.offset = std::stoul(cols[0]);
    f.size = std::stoul(cols[1]);
    f.type = cols[2];
    f.name = cols[3];
    f.value = cols[4];
    if (f.name.starts_with("seg")) {
      const auto dot = f.name.find('.');
      const std::string digits = f.name.substr(3, dot - 3);
      f.segment = digits.empty() ? 0 : std::stoul(digits);
      f.name = f.name.substr(dot + 1);
    }
    out.push_back(f);
  }
  return out;
}

// The number a field's value column states; an erratum saying "must be X" wins.
std::optional<std::uint64_t> stated_number(const std::string& value) {
  std::string text = value;
  if (const auto must = value.find("must be "); must != std::string::npos) {
    text = value.substr(must + 8);
  }
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])) == 0) return std::nullopt;
  return std::stoull(text, nullptr, text.starts_with("0x") ? 16 : 10);
}

// The value of a header or per-segment number field of the example.
std::uint64_t field_number(const std::vector<SpecField>& fields, const std::string& name,
                           std::size_t segment = 0) {
  for (const auto& f : fields) {
    if (f.name == name && f.segment == segment) {
      const auto n = stated_number(f.value);
      EXPECT_TRUE(n.has_value()) << name;
      return n.value_or(0);
    }
  }
  ADD_FAILURE() << "no field " << name << " of segment " << segment;
  return 0;
}

std::size_t segment_count(const std::vector<SpecField>& fields) {
  std::size_t n = 0;
  for (const auto& f : fields) {
    if (f.name == "cbSegment") n = std::max(n, f.segment + 1);
  }
  return n;
}

ContentInformation spec_model(const VectorFile& v, const std::vector<SpecField>& fields) {
  const bool is_v1 = fields.front().name == "Version";
  ContentInformation ci;
  ci.range = expected_range(v);
  ci.scheme = is_v1 ? HashScheme{Version::v1, crypto::HashAlgorithm::sha256} : HashScheme::v2();
  if (is_v1) {
    EXPECT_EQ(field_number(fields, "dwHashAlgo"), kCalgSha256);
  }
  const auto secret = ServerSecret::from_passphrase(
      v.has("secret_value_text") ? v.text("secret_value_text") : "no more secrets");
  const crypto::Digest ks = secret->ks(ci.scheme);
  const std::size_t n = segment_count(fields);

  std::uint64_t v2_offset = is_v1 ? 0 : field_number(fields, "ullStartInContent");
  for (std::size_t i = 0; i < n; ++i) {
    Segment s;
    s.length = static_cast<std::uint32_t>(field_number(fields, "cbSegment", i));
    if (is_v1) {
      s.offset = field_number(fields, "ullOffsetInContent", i);
      s.index = SegmentIndex{s.offset / kV1SegmentSize};
      // Made-up block hashes for every block; HoD covers all of them, the list shows cBlocks.
      crypto::Hasher list_hash(ci.scheme.algorithm);
      std::vector<crypto::Digest> all;
      for (std::uint32_t b = 0; b < v1_blocks_in_segment(s.length); ++b) {
        all.push_back(
            test::made_up_hash(ci.scheme, v.name() + std::to_string(i) + "." + std::to_string(b)));
        list_hash.update(all.back().bytes());
      }
      s.hod = list_hash.finish();
      const auto listed = field_number(fields, "cBlocks", i);
      EXPECT_LE(listed, all.size());
      s.block_hashes.assign(
          all.begin(), all.begin() + static_cast<std::ptrdiff_t>(std::min(listed, all.size())));
    } else {
      s.offset = v2_offset;
      s.index = SegmentIndex{field_number(fields, "ullIndexOfFirstSegment") + i};
      s.hod = test::made_up_hash(ci.scheme, v.name() + std::to_string(i));
      v2_offset += s.length;
    }
    s.kp = derive_kp(ci.scheme, ks, s.hod);
    ci.segments.push_back(std::move(s));
  }
  if (is_v1) {
    ci.v1.read_bytes_in_last_segment =
        static_cast<std::uint32_t>(field_number(fields, "dwReadBytesInLastSegment"));
  } else {
    ci.v2.length_of_range = field_number(fields, "ullLengthOfRange");
  }
  return ci;
}

// The bytes the model put in a hash field of the example, by the field's name.
std::optional<crypto::Digest> model_hash(const ContentInformation& ci, const SpecField& f) {
  if (f.segment >= ci.segments.size()) return std::nullopt;
  const Segment& s = ci.segments[f.segment];
  if (f.name == "SegmentHashOfData") return s.hod;
  if (f.name == "SegmentSecret") return s.kp;
  if (f.name.starts_with("BlockHash[")) {
    const std::size_t b = std::stoul(f.name.substr(10));
    if (b < s.block_hashes.size()) return s.block_hashes[b];
  }
  return std::nullopt;
}

class ParseSpecExample : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseSpecExample, FieldsLandAtTheListedOffsetsAndParseBack) {
  const auto v = VectorFile::load(GetParam());
  const auto fields = spec_fields(v);
  ASSERT_FALSE(fields.empty());
  const ContentInformation model = spec_model(v, fields);
  const auto bytes = encode(model);
  ASSERT_EQ(bytes.size(), v.number("ci.length"));

  for (const auto& f : fields) {
    SCOPED_TRACE(f.name + " of segment " + std::to_string(f.segment) + " at " +
                 std::to_string(f.offset));
    ASSERT_LE(f.offset + f.size, bytes.size());
    if (f.type.starts_with("BYTE[")) {
      const auto hash = model_hash(model, f);
      ASSERT_TRUE(hash.has_value());
      ASSERT_EQ(hash->size(), f.size);
      EXPECT_TRUE(std::equal(hash->bytes().begin(), hash->bytes().end(),
                             bytes.begin() + static_cast<std::ptrdiff_t>(f.offset)));
      continue;
    }
    const auto number = stated_number(f.value);
    ASSERT_TRUE(number.has_value()) << f.value;
    // V1 is little-endian; V2 marks its big-endian fields, and single bytes have no order.
    const bool big_endian = f.type.find("(BE)") != std::string::npos;
    EXPECT_EQ(
        big_endian ? test::get_be(bytes, f.offset, f.size) : test::get_le(bytes, f.offset, f.size),
        *number);
  }

  auto parsed = parse(bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->range, model.range);
  EXPECT_EQ(*parsed, model);
}

INSTANTIATE_TEST_SUITE_P(Appendix, ParseSpecExample,
                         ::testing::ValuesIn(vectors_with("field.00", "spec-")), test_name);

}  // namespace
}  // namespace peerdist::pccrc
