// held_segments(): what a ProbeMatch says about the probe it answers.
#include "peerdist/wire/pccrd/match.hpp"

#include <gtest/gtest.h>

#include "peerdist/wire/pccrd/decode.hpp"
#include "peerdist/wire/pccrd/encode.hpp"

#include "pccrd_fixtures.hpp"

namespace peerdist::wire::pccrd {
namespace {

using std::chrono::milliseconds;
using test::random_id;

Probe make_probe(Version version, std::size_t n) {
  std::mt19937 rng(static_cast<unsigned>(n));
  Probe p{"urn:uuid:probe", version, {}};
  for (std::size_t i = 0; i < n; ++i) p.segment_ids.push_back(random_id(rng));
  return p;
}

void expect_mismatch(const Probe& probe, const ProbeMatch& match, const std::string& field) {
  const auto held = held_segments(probe, match);
  ASSERT_FALSE(held.has_value()) << "accepted; expected " << field;
  EXPECT_EQ(held.error().field, field) << held.error().message();
}

TEST(HeldSegments, V1ListsBlockCountsAndDropsZeros) {
  const Probe probe = make_probe(Version::v1, 4);
  ProbeMatch match = test::match_for(probe);
  match.held = ProbeMatchV1{{{probe.segment_ids[2], 7},
                             {probe.segment_ids[0], 0},
                             {probe.segment_ids[3], 512},
                             {probe.segment_ids[2], 9}}};  // listed twice: the first counts
  const auto held = held_segments(probe, match);
  ASSERT_TRUE(held.has_value()) << held.error().message();
  EXPECT_EQ(*held, (std::vector<HeldSegment>{{2, probe.segment_ids[2], 7, false, {}},
                                             {3, probe.segment_ids[3], 512, false, {}}}));
}

TEST(HeldSegments, V1RefusesSegmentsNotProbed) {
  const Probe probe = make_probe(Version::v1, 2);
  ProbeMatch match = test::match_for(probe);
  std::mt19937 rng(77);
  match.held = ProbeMatchV1{{{probe.segment_ids[0], 1}, {random_id(rng), 1}}};
  expect_mismatch(probe, match, "wsd:Scopes");
}

TEST(HeldSegments, V2PresenceAndAges) {
  const Probe probe = make_probe(Version::v2, 6);
  ProbeMatch match = test::match_for(probe);
  match.held = ProbeMatchV2{
      {{true, true}, {false, false}, {true, false}, {false, true}, {false, false}, {true, true}},
      SegmentAges{AgeUnit::centiseconds, {{0, 100}, {1, 5}, {5, 60000}, {9, 1}}}};
  // Through the wire and back, so that the padding of the decoder is what we check against.
  const auto decoded = decode_probe_match(test::bytes_of(encode_probe_match(match)));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  const auto held = held_segments(probe, *decoded);
  ASSERT_TRUE(held.has_value()) << held.error().message();
  EXPECT_EQ(*held, (std::vector<HeldSegment>{
                       {0, probe.segment_ids[0], std::nullopt, true, milliseconds(1000)},
                       {2, probe.segment_ids[2], std::nullopt, false, std::nullopt},
                       {3, probe.segment_ids[3], std::nullopt, true, std::nullopt},
                       {5, probe.segment_ids[5], std::nullopt, true, milliseconds(600'000)}}));
}

TEST(HeldSegments, V2BitArrayMustFitTheProbe) {
  const Probe probe = make_probe(Version::v2, 5);  // 2 bytes of bits
  ProbeMatch match = test::match_for(probe);
  auto& held = std::get<ProbeMatchV2>(match.held);
  held.segments.resize(8);  // as decoded: padded to whole bytes
  EXPECT_TRUE(held_segments(probe, match).has_value());
  held.segments.resize(4);  // one byte: too short
  expect_mismatch(probe, match, "wsd:Scopes");
  held.segments.resize(12);  // three bytes: too long
  expect_mismatch(probe, match, "wsd:Scopes");
  held.segments.assign(8, SegmentPresence{true, true});  // padding bits set
  expect_mismatch(probe, match, "wsd:Scopes");
}

TEST(HeldSegments, MustAnswerThisProbe) {
  const Probe probe = make_probe(Version::v1, 1);
  ProbeMatch match = test::match_for(probe);
  EXPECT_TRUE(held_segments(probe, match).has_value());
  match.relates_to = "urn:uuid:another";
  expect_mismatch(probe, match, "wsa:RelatesTo");
  ProbeMatch v2 = test::match_for(make_probe(Version::v2, 1));
  v2.relates_to = probe.message_id;
  expect_mismatch(probe, v2, "wsd:Types");
}

}  // namespace
}  // namespace peerdist::wire::pccrd
