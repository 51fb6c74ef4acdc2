#include "peerdist/pccrc/segment_descriptor.hpp"

#include <algorithm>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/util/checked.hpp"

namespace peerdist::pccrc {

std::uint32_t SegmentDescriptor::block_count() const noexcept {
  if (block_size == 0) return 0;
  return util::ceil_div(segment_length, block_size);
}

std::uint32_t SegmentDescriptor::block_length(BlockIndex index) const noexcept {
  if (index.value() >= block_count()) return 0;
  // index < block_count() so index * block_size < segment_length: no overflow.
  const std::uint32_t start = index.value() * block_size;
  return std::min(block_size, segment_length - start);
}

bool SegmentDescriptor::knows_block(BlockIndex index) const noexcept {
  if (index.value() >= block_count()) return false;
  if (scheme.version == Version::v2) return !hod.empty();
  return index.value() < block_hashes.size() && !block_hashes[index.value()].empty();
}

bool SegmentDescriptor::well_formed() const noexcept {
  const std::size_t size = scheme.hash_size();
  if (size == 0 || segment_id.size() != size || hod.size() != size || kp.size() != size) {
    return false;
  }
  if (scheme.version == Version::v2) {
    return scheme.algorithm == crypto::HashAlgorithm::sha512 && segment_length >= 1 &&
           segment_length <= kV2MaxSegmentSize && block_size == segment_length &&
           block_hashes.empty();
  }
  if (scheme.version != Version::v1) return false;
  if (segment_length < 1 || segment_length > kV1SegmentSize || block_size != kV1BlockSize) {
    return false;
  }
  if (block_hashes.size() != block_count()) return false;
  return std::all_of(block_hashes.begin(), block_hashes.end(),
                     [size](const crypto::Digest& h) { return h.empty() || h.size() == size; });
}

bool SegmentDescriptor::merge(const SegmentDescriptor& other) {
  if (segment_id != other.segment_id || scheme != other.scheme || hod != other.hod ||
      kp != other.kp || segment_length != other.segment_length || block_size != other.block_size ||
      block_hashes.size() != other.block_hashes.size()) {
    return false;
  }
  // Check everything before changing anything: a refused merge leaves *this as it was.
  for (std::size_t i = 0; i < block_hashes.size(); ++i) {
    const crypto::Digest& mine = block_hashes[i];
    const crypto::Digest& theirs = other.block_hashes[i];
    if (!mine.empty() && !theirs.empty() && mine != theirs) return false;
  }
  for (std::size_t i = 0; i < block_hashes.size(); ++i) {
    if (block_hashes[i].empty()) block_hashes[i] = other.block_hashes[i];
  }
  return true;
}

SegmentDescriptor describe_segment(const ContentInformation& ci, const Segment& segment) {
  SegmentDescriptor d;
  d.segment_id = ci.segment_id(segment);
  d.scheme = ci.scheme;
  d.hod = segment.hod;
  d.kp = segment.kp;
  d.segment_length = segment.length;
  if (ci.version() == Version::v2) {
    d.block_size = segment.length;
    return d;
  }
  d.block_size = kV1BlockSize;
  d.block_hashes.resize(d.block_count());
  // parse() and the builder keep every listed block inside the segment; a model that does not
  // is cut to the segment rather than trusted with an out-of-range index.
  const std::size_t first = segment.first_listed_block.value();
  for (std::size_t i = 0; i < segment.block_hashes.size() && first + i < d.block_hashes.size();
       ++i) {
    d.block_hashes[first + i] = segment.block_hashes[i];
  }
  return d;
}

std::optional<VerifiedBlock> verify_block(const SegmentDescriptor& segment, BlockIndex index,
                                          std::vector<std::uint8_t> bytes) {
  if (!segment.knows_block(index)) return std::nullopt;
  const std::uint32_t length = segment.block_length(index);
  if (length == 0 || bytes.size() != length) return std::nullopt;
  if (segment.scheme.version == Version::v2) {
    // V2: the segment is one block, and HoD is its truncated SHA-512.
    const crypto::Digest actual =
        crypto::hash(crypto::HashAlgorithm::sha512, bytes).truncated(segment.scheme.hash_size());
    if (actual != segment.hod) return std::nullopt;
  } else {
    const crypto::Digest actual = crypto::hash(segment.scheme.algorithm, bytes);
    if (actual != segment.block_hashes[index.value()]) return std::nullopt;
  }
  return VerifiedBlock(segment.segment_id, index, std::move(bytes));
}

}  // namespace peerdist::pccrc
