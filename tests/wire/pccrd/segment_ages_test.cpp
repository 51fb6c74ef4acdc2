// The extensible blob of segment ages (spec digest §1.7): the spec's example, the validation
// order, and round trips.
#include "peerdist/wire/pccrd/segment_ages.hpp"

#include <gtest/gtest.h>

#include <random>

#include "peerdist/wire/pccrd/base64.hpp"

namespace peerdist::wire::pccrd {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

// [PDF] MS-PCCRD's SegmentAges example: units 1/100 s, segments 0 and 2, 60,000 cs each.
constexpr std::string_view kSpecExample = "AAEDAgBg6gACYOoA";

TEST(SegmentAges, SpecExampleDecodes) {
  const auto blob = base64_decode(kSpecExample);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(*blob, (Bytes{0x00, 0x01, 0x03, 0x02, 0x00, 0x60, 0xea, 0x00, 0x02, 0x60, 0xea, 0x00}));
  const auto ages = decode_segment_ages(*blob);
  ASSERT_TRUE(ages.has_value()) << ages.error().message();
  EXPECT_EQ(ages->units, AgeUnit::centiseconds);
  ASSERT_EQ(ages->entries.size(), 2U);
  EXPECT_EQ(ages->entries[0], (SegmentAge{0, 60000}));
  EXPECT_EQ(ages->entries[1], (SegmentAge{2, 60000}));
  EXPECT_EQ(age_duration(ages->units, ages->entries[0].age), milliseconds(600'000));
}

TEST(SegmentAges, SpecExampleEncodes) {
  const SegmentAges ages{AgeUnit::centiseconds, {{0, 60000}, {2, 60000}}};
  EXPECT_EQ(base64_encode(encode_segment_ages(ages)), kSpecExample);
}

TEST(SegmentAges, AgeIsLittleEndian24Bits) {
  const SegmentAges ages{AgeUnit::milliseconds, {{7, 0x123456}, {255, kMaxEncodedAge}}};
  EXPECT_EQ(encode_segment_ages(ages),
            (Bytes{0x00, 0x01, 0x04, 0x02, 0x07, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff}));
}

TEST(SegmentAges, EmptyListIsHeaderOnly) {
  const SegmentAges ages{AgeUnit::seconds, {}};
  const Bytes blob = encode_segment_ages(ages);
  EXPECT_EQ(blob, (Bytes{0x00, 0x01, 0x01, 0x00}));
  const auto back = decode_segment_ages(blob);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, ages);
}

void expect_reject(const Bytes& blob, const std::string& field, std::uint64_t offset) {
  const auto ages = decode_segment_ages(blob);
  ASSERT_FALSE(ages.has_value()) << "accepted; expected an error in " << field;
  EXPECT_EQ(ages.error().field, field) << ages.error().message();
  EXPECT_EQ(ages.error().offset, offset) << ages.error().message();
}

TEST(SegmentAges, ValidationOrder) {
  expect_reject({}, "Version", 0);
  expect_reject({0x00}, "Version", 0);
  // The version is checked before the size of the rest: an unknown version of any length.
  expect_reject({0x00, 0x02}, "Version", 0);
  expect_reject({0x01, 0x00, 0x03, 0x00}, "Version", 0);
  expect_reject({0x00, 0x02, 0x09, 0x09, 0x00, 0x00, 0x00, 0x00}, "Version", 0);
  // Version 1 but no room for the header.
  expect_reject({0x00, 0x01}, "SegmentAgeUnits", 2);
  expect_reject({0x00, 0x01, 0x03}, "SegmentAgeUnits", 2);
  // Units before count: a bad unit with a count that does not fit names the unit.
  expect_reject({0x00, 0x01, 0x00, 0x05}, "SegmentAgeUnits", 2);
  expect_reject({0x00, 0x01, 0x05, 0x00}, "SegmentAgeUnits", 2);
  expect_reject({0x00, 0x01, 0xff, 0x00}, "SegmentAgeUnits", 2);
  // Count that does not fit.
  expect_reject({0x00, 0x01, 0x03, 0x01}, "SegmentAgeCount", 3);
  expect_reject({0x00, 0x01, 0x03, 0x01, 0x00, 0x00, 0x00}, "SegmentAgeCount", 3);
  expect_reject({0x00, 0x01, 0x03, 0xff, 0x00, 0x00, 0x00, 0x00}, "SegmentAgeCount", 3);
}

TEST(SegmentAges, EveryUnitAccepted) {
  for (std::uint8_t units = 1; units <= 4; ++units) {
    const auto ages = decode_segment_ages(Bytes{0x00, 0x01, units, 0x00});
    ASSERT_TRUE(ages.has_value()) << int{units};
    EXPECT_EQ(static_cast<std::uint8_t>(ages->units), units);
  }
}

TEST(SegmentAges, TrailingBytesIgnored) {
  // The rule is size >= 4 x (count + 1): more is allowed (a later version may append).
  const auto ages =
      decode_segment_ages(Bytes{0x00, 0x01, 0x03, 0x01, 0x04, 0x01, 0x00, 0x00, 0xaa, 0xbb});
  ASSERT_TRUE(ages.has_value()) << ages.error().message();
  EXPECT_EQ(ages->entries, (std::vector<SegmentAge>{{4, 1}}));
}

TEST(SegmentAges, EncoderRefusesWhatCannotBeEncoded) {
  SegmentAges too_many{AgeUnit::centiseconds, std::vector<SegmentAge>(256)};
  EXPECT_THROW((void)encode_segment_ages(too_many), std::invalid_argument);
  too_many.entries.resize(255);
  EXPECT_EQ(encode_segment_ages(too_many).size(), 4U + 4U * 255U);
  const SegmentAges too_old{AgeUnit::centiseconds, {{0, kMaxEncodedAge + 1}}};
  EXPECT_THROW((void)encode_segment_ages(too_old), std::invalid_argument);
  const SegmentAges bad_units{static_cast<AgeUnit>(0), {}};
  EXPECT_THROW((void)encode_segment_ages(bad_units), std::invalid_argument);
}

TEST(SegmentAges, DurationConversions) {
  EXPECT_EQ(age_duration(AgeUnit::seconds, 3), milliseconds(3000));
  EXPECT_EQ(age_duration(AgeUnit::deciseconds, 3), milliseconds(300));
  EXPECT_EQ(age_duration(AgeUnit::centiseconds, 3), milliseconds(30));
  EXPECT_EQ(age_duration(AgeUnit::milliseconds, 3), milliseconds(3));
  EXPECT_EQ(encode_age(AgeUnit::centiseconds, milliseconds(600'009)), 60000U);  // rounds down
  EXPECT_EQ(encode_age(AgeUnit::seconds, milliseconds(999)), 0U);
  EXPECT_EQ(encode_age(AgeUnit::centiseconds, milliseconds(-5)), 0U);
  // 28 days in centiseconds does not fit 24 bits: saturated.
  EXPECT_EQ(encode_age(AgeUnit::centiseconds, std::chrono::hours(24 * 28)), kMaxEncodedAge);
  EXPECT_EQ(encode_age(AgeUnit::seconds, std::chrono::hours(24 * 28)), 28U * 86400U);
}

TEST(SegmentAges, RandomRoundTrips) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 500; ++round) {
    SegmentAges ages;
    ages.units = static_cast<AgeUnit>(1 + rng() % 4);
    ages.entries.resize(rng() % 256);
    for (auto& e : ages.entries) {
      e.segment_index = static_cast<std::uint8_t>(rng());
      e.age = static_cast<std::uint32_t>(rng()) & kMaxEncodedAge;
    }
    const Bytes blob = encode_segment_ages(ages);
    EXPECT_EQ(blob.size(), 4 + 4 * ages.entries.size());
    const auto back = decode_segment_ages(blob);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(*back, ages);
    // Any truncation that loses an entry is refused.
    if (!ages.entries.empty()) {
      EXPECT_FALSE(decode_segment_ages(std::span(blob).first(blob.size() - 1)).has_value());
    }
  }
}

}  // namespace
}  // namespace peerdist::wire::pccrd
