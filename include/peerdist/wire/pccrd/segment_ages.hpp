// The Extensible BLOB of version 1 (spec digest §1.7): how long ago each of a message's segments
// first entered the sender's cache. MS-PCCRD v2 carries it base64-encoded in a ProbeMatch's
// SegmentAges; MS-PCCRR carries the same bytes in MSG_GETSEGLIST / MSG_SEGLIST (that codec keeps
// the blob as opaque bytes and decodes it with decode_segment_ages()).
//
//   Version u16 BE (= 1) | SegmentAgeUnits u8 | SegmentAgeCount u8 | Count x ENCODED_SEGMENT_AGE
//   ENCODED_SEGMENT_AGE = SegmentIndex u8 | age: 24 bits, little-endian (low, mid, high byte)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::wire::pccrd {

inline constexpr std::uint16_t kExtensibleBlobVersion1 = 1;
inline constexpr std::size_t kSegmentAgesHeaderSize = 4;
inline constexpr std::size_t kEncodedSegmentAgeSize = 4;
inline constexpr std::size_t kMaxSegmentAges = 255;        // SegmentAgeCount is one byte
inline constexpr std::uint32_t kMaxEncodedAge = 0xFFFFFF;  // 24 bits

// SegmentAgeUnits. Senders should use centiseconds (A19: we always send an enclosing blob with
// units 3, so the "no enclosing unit" default of the spec never matters).
enum class AgeUnit : std::uint8_t {
  seconds = 1,
  deciseconds = 2,
  centiseconds = 3,
  milliseconds = 4,
};

struct SegmentAge {
  // Position of the segment in the enclosing message's list, 0-based (A18): the probe's
  // segment IDs for a ProbeMatch, the request's segment IDs for MSG_SEGLIST.
  std::uint8_t segment_index = 0;
  std::uint32_t age = 0;  // in the blob's units, at most kMaxEncodedAge
  friend bool operator==(const SegmentAge&, const SegmentAge&) = default;
};

struct SegmentAges {
  AgeUnit units = AgeUnit::centiseconds;
  std::vector<SegmentAge> entries;  // at most kMaxSegmentAges
  friend bool operator==(const SegmentAges&, const SegmentAges&) = default;
};

// The blob bytes. Throws std::invalid_argument for more than 255 entries, an age over 24 bits
// or units outside 1..4: values decode_segment_ages() never produces.
[[nodiscard]] std::vector<std::uint8_t> encode_segment_ages(const SegmentAges& ages);

// Validates in the order of spec digest §1.7: at least the 2-byte version; version 1; at least
// the 4-byte header; units 1..4; room for every entry (size >= 4 x (count + 1)). Bytes after the
// last entry are ignored, as that rule allows. Every error means "discard the blob, keep the
// message": the caller ignores the ages, it does not drop what carried them.
[[nodiscard]] Expected<SegmentAges, util::DecodeError> decode_segment_ages(
    std::span<const std::uint8_t> blob);

// An encoded age as a duration (exact: every unit is a whole number of milliseconds).
[[nodiscard]] std::chrono::milliseconds age_duration(AgeUnit units, std::uint32_t age) noexcept;
// A duration in `units`, rounded down and saturated at kMaxEncodedAge (46.6 hours in
// centiseconds: a segment older than that is reported as that old). Negative durations give 0.
[[nodiscard]] std::uint32_t encode_age(AgeUnit units, std::chrono::milliseconds age) noexcept;

}  // namespace peerdist::wire::pccrd
