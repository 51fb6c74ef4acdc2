#include "peerdist/wire/pccrd/segment_ages.hpp"

#include <stdexcept>
#include <string>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/byte_writer.hpp"

namespace peerdist::wire::pccrd {
namespace {

using util::ByteReader;
using util::DecodeError;

constexpr std::size_t kUnitsOffset = 2;
constexpr std::size_t kCountOffset = 3;

std::int64_t milliseconds_per(AgeUnit units) noexcept {
  switch (units) {
    case AgeUnit::seconds: return 1000;
    case AgeUnit::deciseconds: return 100;
    case AgeUnit::centiseconds: return 10;
    case AgeUnit::milliseconds: return 1;
  }
  return 1;
}

bool valid_units(std::uint8_t units) noexcept {
  return units >= static_cast<std::uint8_t>(AgeUnit::seconds) &&
         units <= static_cast<std::uint8_t>(AgeUnit::milliseconds);
}

}  // namespace

std::vector<std::uint8_t> encode_segment_ages(const SegmentAges& ages) {
  if (!valid_units(static_cast<std::uint8_t>(ages.units))) {
    throw std::invalid_argument("SegmentAgeUnits must be 1..4");
  }
  if (ages.entries.size() > kMaxSegmentAges) {
    throw std::invalid_argument("SegmentAgeCount is one byte: at most 255 segment ages");
  }
  util::ByteWriter out(kSegmentAgesHeaderSize + kEncodedSegmentAgeSize * ages.entries.size());
  out.u16be(kExtensibleBlobVersion1);
  out.u8(static_cast<std::uint8_t>(ages.units));
  out.u8(static_cast<std::uint8_t>(ages.entries.size()));
  for (const SegmentAge& entry : ages.entries) {
    if (entry.age > kMaxEncodedAge) throw std::invalid_argument("a segment age is 24 bits");
    out.u8(entry.segment_index);
    out.u8(static_cast<std::uint8_t>(entry.age));
    out.u8(static_cast<std::uint8_t>(entry.age >> 8U));
    out.u8(static_cast<std::uint8_t>(entry.age >> 16U));
  }
  return std::move(out).take();
}

Expected<SegmentAges, DecodeError> decode_segment_ages(std::span<const std::uint8_t> blob) {
  ByteReader r(blob);
  auto version = r.u16be("Version");
  if (!version) return Unexpected(version.error());
  if (*version != kExtensibleBlobVersion1) {
    return Unexpected(
        ByteReader::error_at(0, "Version", "must be 1, got " + std::to_string(*version)));
  }
  if (blob.size() < kSegmentAgesHeaderSize) {
    return Unexpected(ByteReader::error_at(
        kUnitsOffset, "SegmentAgeUnits",
        "a version 1 blob has a 4-byte header, got " + std::to_string(blob.size()) + " bytes"));
  }
  const std::uint8_t units = blob[kUnitsOffset];
  if (!valid_units(units)) {
    return Unexpected(ByteReader::error_at(kUnitsOffset, "SegmentAgeUnits",
                                           "must be 1..4, got " + std::to_string(units)));
  }
  const std::uint8_t count = blob[kCountOffset];
  const std::size_t needed = kEncodedSegmentAgeSize * (std::size_t{count} + 1);
  if (blob.size() < needed) {
    return Unexpected(ByteReader::error_at(kCountOffset, "SegmentAgeCount",
                                           std::to_string(count) + " entries need " +
                                               std::to_string(needed) + " bytes, got " +
                                               std::to_string(blob.size())));
  }
  SegmentAges ages;
  ages.units = static_cast<AgeUnit>(units);
  ages.entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = kSegmentAgesHeaderSize + kEncodedSegmentAgeSize * i;
    ages.entries.push_back(SegmentAge{blob[at], std::uint32_t{blob[at + 1]} |
                                                    (std::uint32_t{blob[at + 2]} << 8U) |
                                                    (std::uint32_t{blob[at + 3]} << 16U)});
  }
  return ages;
}

std::chrono::milliseconds age_duration(AgeUnit units, std::uint32_t age) noexcept {
  return std::chrono::milliseconds(std::int64_t{age} * milliseconds_per(units));
}

std::uint32_t encode_age(AgeUnit units, std::chrono::milliseconds age) noexcept {
  if (age.count() <= 0) return 0;
  const std::int64_t in_units = age.count() / milliseconds_per(units);
  return in_units >= std::int64_t{kMaxEncodedAge} ? kMaxEncodedAge
                                                  : static_cast<std::uint32_t>(in_units);
}

}  // namespace peerdist::wire::pccrd
