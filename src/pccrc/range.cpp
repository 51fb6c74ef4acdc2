// slice(): the content information of a byte range (spec digest §7, the conventions of the
// derived range vectors and spec examples 3.3, 3.5 and 3.7).
#include "peerdist/pccrc/range.hpp"

#include <algorithm>

#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/errc.hpp"

namespace peerdist::pccrc {
namespace {

Unexpected<std::error_code> out_of_bounds() {
  return Unexpected(make_error_code(Errc::range_out_of_bounds));
}

// dwReadBytesInLastSegment as the derived vectors spell it: 0 when the range runs to the end of
// the last segment, else counted from the range start (one segment) or from the last segment's
// start (several).
std::uint32_t read_bytes_in_last_segment(const std::vector<Segment>& segments, ByteRange range) {
  const Segment& last = segments.back();
  if (range.end == last.end()) return 0;
  // Both are less than cbSegment: the range ends inside the last segment.
  if (segments.size() == 1) return static_cast<std::uint32_t>(range.length());
  return static_cast<std::uint32_t>(range.end - last.offset);
}

}  // namespace

Expected<ContentInformation, std::error_code> slice(const ContentInformation& whole,
                                                    ByteRange range) {
  if (range.empty() || whole.segments.empty() || !whole.range.contains(range)) {
    return out_of_bounds();
  }
  // V2 keeps how `whole` spelt the same range (ullLengthOfRange 0 or not, chunking), so that
  // slicing a CI to its own range gives it back unchanged.
  if (whole.version() == Version::v2 && range == whole.range) return whole;

  ContentInformation out;
  out.scheme = whole.scheme;
  out.range = range;
  for (const Segment& s : whole.segments) {
    if (!range.intersects(ByteRange{s.offset, s.end()})) continue;
    Segment kept{s.index, s.offset, s.length, s.hod, s.kp, {}, BlockIndex{0}};
    if (whole.version() == Version::v1) {
      // Blocks 0 .. the last block intersecting the range (the spec examples' convention).
      const std::uint64_t last_block = (std::min(range.end, s.end()) - s.offset - 1) / kV1BlockSize;
      if (s.first_listed_block.value() != 0 || s.block_hashes.size() <= last_block) {
        return out_of_bounds();  // `whole` does not list blocks this range needs
      }
      kept.block_hashes.assign(
          s.block_hashes.begin(),
          s.block_hashes.begin() + static_cast<std::ptrdiff_t>(last_block + 1));
    }
    out.segments.push_back(std::move(kept));
  }
  if (out.version() == Version::v1) {
    out.v1.read_bytes_in_last_segment = read_bytes_in_last_segment(out.segments, range);
  } else {
    out.v2.length_of_range = range.length();  // example 3.7; one chunk
  }
  return out;
}

}  // namespace peerdist::pccrc
