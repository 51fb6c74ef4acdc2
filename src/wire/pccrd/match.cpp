#include "peerdist/wire/pccrd/match.hpp"

#include <algorithm>
#include <string>

#include "peerdist/util/checked.hpp"

namespace peerdist::wire::pccrd {
namespace {

using util::DecodeError;

Unexpected<DecodeError> mismatch(std::string field, std::string reason) {
  return Unexpected(DecodeError{std::move(field), 0, std::move(reason)});
}

std::optional<std::size_t> position(const Probe& probe, const crypto::Digest& id) {
  const auto it = std::find(probe.segment_ids.begin(), probe.segment_ids.end(), id);
  if (it == probe.segment_ids.end()) return std::nullopt;
  return static_cast<std::size_t>(it - probe.segment_ids.begin());
}

Expected<std::vector<HeldSegment>, DecodeError> held_v1(const Probe& probe,
                                                        const ProbeMatchV1& held) {
  std::vector<HeldSegment> out;
  std::vector<bool> seen(probe.segment_ids.size(), false);
  for (const BlockCount& segment : held.segments) {
    const auto index = position(probe, segment.segment_id);
    if (!index) {
      return mismatch("wsd:Scopes",
                      "names segment " + segment.segment_id.hex() + ", which the probe did not");
    }
    if (segment.block_count == 0 || seen[*index]) continue;
    seen[*index] = true;
    out.push_back(HeldSegment{*index, segment.segment_id, segment.block_count, false, {}});
  }
  return out;
}

Expected<std::vector<HeldSegment>, DecodeError> held_v2(const Probe& probe,
                                                        const ProbeMatchV2& held) {
  const std::size_t n = probe.segment_ids.size();
  const std::size_t bytes = util::ceil_div<std::size_t>(n, 4);
  if (held.segments.size() != 4 * bytes) {
    return mismatch("wsd:Scopes", std::to_string(held.segments.size() / 4) +
                                      " bytes of presence bits for a probe of " +
                                      std::to_string(n) + " segments (needs " +
                                      std::to_string(bytes) + ")");
  }
  for (std::size_t i = n; i < held.segments.size(); ++i) {
    if (held.segments[i].has_some || held.segments[i].has_all) {
      return mismatch("wsd:Scopes", "padding bits after the last probed segment are set");
    }
  }
  std::vector<HeldSegment> out;
  std::vector<std::size_t> slot(n, n);  // probe index -> position in out, n = not held
  std::vector<bool> seen(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const SegmentPresence p = held.segments[i];
    if (!p.has_some && !p.has_all) continue;
    // A probe listing an ID twice gets one entry, at its first position.
    const std::size_t first = *position(probe, probe.segment_ids[i]);
    if (seen[first]) continue;
    seen[first] = true;
    slot[i] = out.size();
    out.push_back(HeldSegment{first, probe.segment_ids[i], std::nullopt, p.has_all, {}});
  }
  if (held.ages) {
    for (const SegmentAge& age : held.ages->entries) {
      if (age.segment_index >= n || slot[age.segment_index] == n) continue;
      out[slot[age.segment_index]].age = age_duration(held.ages->units, age.age);
    }
  }
  return out;
}

}  // namespace

Expected<std::vector<HeldSegment>, DecodeError> held_segments(const Probe& probe,
                                                              const ProbeMatch& match) {
  if (match.relates_to != probe.message_id) {
    return mismatch("wsa:RelatesTo",
                    "answers " + match.relates_to.substr(0, 80) + ", not this probe");
  }
  if (match.version() != probe.version) {
    return mismatch("wsd:Types", "a v" + std::to_string(static_cast<int>(match.version())) +
                                     " match for a v" +
                                     std::to_string(static_cast<int>(probe.version)) + " probe");
  }
  if (const auto* v1 = std::get_if<ProbeMatchV1>(&match.held)) return held_v1(probe, *v1);
  return held_v2(probe, std::get<ProbeMatchV2>(match.held));
}

}  // namespace peerdist::wire::pccrd
