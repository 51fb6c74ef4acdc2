// What a ProbeMatch says about the segments of the probe it answers, in one form for both
// versions: the prober's view of a reply.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::wire::pccrd {

struct HeldSegment {
  std::size_t probe_index = 0;  // position in Probe::segment_ids (the first, if listed twice)
  crypto::Digest segment_id;
  // v1: how many of the segment's blocks the peer holds (at least 1). v2: nullopt (a v2 segment
  // is a single block).
  std::optional<std::uint32_t> block_count;
  // v2: the peer holds the whole segment. v1: false (compare block_count with the segment's).
  bool complete = false;
  std::optional<std::chrono::milliseconds> age;  // v2, when the peer sent one for the segment
  friend bool operator==(const HeldSegment&, const HeldSegment&) = default;
};

// The probe's segments that `match` says its peer holds, in the order the match lists them (v1)
// or the probe does (v2). An error (the caller discards the match) when the match does not
// answer this probe: RelatesTo is not the probe's MessageID, the versions differ, a v1 scope
// names a segment the probe did not ask for, or the v2 bit array is not ceil(2N/8) bytes for the
// probe's N segments with zero padding. Dropped without error, as iPXE does: v1 segments with a
// block count of 0, and segments listed twice. A v2 pair with only the "all" bit set is taken as
// "holds all" (A17 leaves the packing unconfirmed; refusing would lose matches). Ages naming a
// segment past N, or one the peer does not hold, are ignored. Errors carry offset 0: they are
// about values, not bytes.
[[nodiscard]] Expected<std::vector<HeldSegment>, util::DecodeError> held_segments(
    const Probe& probe, const ProbeMatch& match);

}  // namespace peerdist::wire::pccrd
