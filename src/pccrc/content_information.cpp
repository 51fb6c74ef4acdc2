#include "peerdist/pccrc/content_information.hpp"

#include <algorithm>

#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/keys.hpp"

namespace peerdist::pccrc {

std::vector<Block> ContentInformation::blocks(const Segment& segment) const {
  std::vector<Block> out;
  if (version() == Version::v2) {
    out.push_back(Block{BlockIndex{0}, segment.offset, segment.length, segment.hod});
    return out;
  }
  out.reserve(segment.block_hashes.size());
  BlockIndex index = segment.first_listed_block;
  for (const auto& hash : segment.block_hashes) {
    const std::uint64_t start = std::uint64_t{index.value()} * kV1BlockSize;
    // parse() guarantees every listed block starts inside the segment.
    const auto length = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(kV1BlockSize, segment.length - start));
    out.push_back(Block{index, segment.offset + start, length, hash});
    ++index;
  }
  return out;
}

crypto::Digest ContentInformation::segment_id(const Segment& segment) const {
  return derive_segment_id(scheme, segment.kp, segment.hod);
}

std::uint32_t ContentInformation::offset_in_first_segment() const noexcept {
  if (segments.empty()) return 0;
  return static_cast<std::uint32_t>(range.start - segments.front().offset);
}

}  // namespace peerdist::pccrc
