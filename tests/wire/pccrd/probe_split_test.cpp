// Splitting wanted segments into probes (A22): caps respected, every ID asked once, in order.
#include "peerdist/wire/pccrd/probe_split.hpp"

#include <gtest/gtest.h>

#include <set>

#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/decode.hpp"
#include "peerdist/wire/pccrd/encode.hpp"

#include "pccrd_fixtures.hpp"

namespace peerdist::wire::pccrd {
namespace {

using test::random_id;

std::vector<crypto::Digest> ids(std::mt19937& rng, std::size_t n, std::size_t size = 32) {
  std::vector<crypto::Digest> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(random_id(rng, size));
  return out;
}

// Caps, coverage and order; and each probe is a real probe that decodes back.
void check_split(Version version, const std::vector<crypto::Digest>& wanted) {
  const std::vector<Probe> probes = split_into_probes(version, wanted);
  std::vector<crypto::Digest> asked;
  std::set<std::string> message_ids;
  for (std::size_t p = 0; p < probes.size(); ++p) {
    const Probe& probe = probes[p];
    EXPECT_EQ(probe.version, version);
    ASSERT_FALSE(probe.segment_ids.empty());
    const std::string xml = encode_probe(probe);
    EXPECT_LE(xml.size(), kMaxProbeSize) << "probe " << p;
    EXPECT_EQ(xml.size(), probe_size(version, probe.segment_ids, probe.message_id));
    if (version == Version::v2) {
      EXPECT_LE(probe.segment_ids.size(), kMaxV2SegmentsPerProbe);
    }
    // Greedy: the next ID would not have fitted (unless the v2 size changed).
    if (p + 1 < probes.size()) {
      auto more = probe.segment_ids;
      more.push_back(probes[p + 1].segment_ids.front());
      const bool size_change = more.back().size() != more.front().size();
      const bool count_cap =
          version == Version::v2 && probe.segment_ids.size() == kMaxV2SegmentsPerProbe;
      if (!(version == Version::v2 && size_change) && !count_cap) {
        EXPECT_GT(probe_size(version, more, probe.message_id), kMaxProbeSize);
      }
    }
    const auto back = decode_probe(test::bytes_of(xml));
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(std::get<Probe>(*back), probe);
    message_ids.insert(probe.message_id);
    asked.insert(asked.end(), probe.segment_ids.begin(), probe.segment_ids.end());
  }
  EXPECT_EQ(asked, wanted);
  EXPECT_EQ(message_ids.size(), probes.size()) << "message IDs must be fresh per probe";
}

TEST(ProbeSplit, NothingToAsk) {
  EXPECT_TRUE(split_into_probes(Version::v1, {}).empty());
  EXPECT_TRUE(split_into_probes(Version::v2, {}).empty());
}

TEST(ProbeSplit, OneIdOneProbe) {
  std::mt19937 rng(1);
  const auto one = ids(rng, 1);
  const auto probes = split_into_probes(Version::v1, one);
  ASSERT_EQ(probes.size(), 1U);
  EXPECT_EQ(probes[0].segment_ids, one);
  EXPECT_TRUE(probes[0].message_id.starts_with("urn:uuid:"));
}

TEST(ProbeSplit, CountsPerProbeFor32ByteIds) {
  // The numbers constants.hpp quotes: 10 v1 or 14 v2 IDs of 32 bytes fit in 1,400 bytes.
  std::mt19937 rng(2);
  const auto many = ids(rng, 100);
  EXPECT_EQ(split_into_probes(Version::v1, many).front().segment_ids.size(), 10U);
  EXPECT_EQ(split_into_probes(Version::v2, many).front().segment_ids.size(), 14U);
  check_split(Version::v1, many);
  check_split(Version::v2, many);
}

TEST(ProbeSplit, V2CountCapWithTinyIds) {
  // 255 one-byte IDs are 344 base64 characters, far below 1,400 bytes: SegmentHashCount's one
  // byte is the cap that ends these probes.
  std::mt19937 rng(3);
  const auto tiny = ids(rng, 1000, 1);
  check_split(Version::v2, tiny);
  const auto probes = split_into_probes(Version::v2, tiny);
  ASSERT_EQ(probes.size(), 4U);
  EXPECT_EQ(probes[0].segment_ids.size(), 255U);
  EXPECT_EQ(probes[3].segment_ids.size(), 1000U - 3U * 255U);
}

TEST(ProbeSplit, V2EndsAProbeWhereTheIdSizeChanges) {
  std::mt19937 rng(4);
  auto wanted = ids(rng, 3, 32);
  const auto longer = ids(rng, 2, 64);
  wanted.insert(wanted.end(), longer.begin(), longer.end());
  const auto probes = split_into_probes(Version::v2, wanted);
  ASSERT_EQ(probes.size(), 2U);
  EXPECT_EQ(probes[0].segment_ids.size(), 3U);
  EXPECT_EQ(probes[1].segment_ids.size(), 2U);
  check_split(Version::v2, wanted);
  // v1 mixes sizes freely.
  EXPECT_EQ(split_into_probes(Version::v1, wanted).size(), 1U);
  check_split(Version::v1, wanted);
}

TEST(ProbeSplit, RandomLists) {
  std::mt19937 rng(5);
  for (int round = 0; round < 40; ++round) {
    std::vector<crypto::Digest> wanted;
    const std::size_t n = rng() % 300;
    const std::size_t sizes[] = {32, 48, 64, 16};
    for (std::size_t i = 0; i < n; ++i) {
      wanted.push_back(random_id(rng, rng() % 5 == 0 ? sizes[rng() % 4] : 32));
    }
    check_split(Version::v1, wanted);
    check_split(Version::v2, wanted);
  }
}

TEST(ProbeSplit, RefusesUnencodableIds) {
  std::vector<crypto::Digest> bad{crypto::Digest{}};
  EXPECT_THROW((void)split_into_probes(Version::v1, bad), std::invalid_argument);
  EXPECT_THROW((void)probe_size(Version::v1, {}, "urn:uuid:x"), std::invalid_argument);
}

}  // namespace
}  // namespace peerdist::wire::pccrd
