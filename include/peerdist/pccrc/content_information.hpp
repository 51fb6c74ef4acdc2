// Content information (CI), versions 1 and 2, as one in-memory model (spec digest §3, §4, §7).
//
// The model says what the CI means (segments with absolute offsets, the byte range it
// describes, block hashes) and keeps the few wire choices that do not follow from the meaning
// (how "to the end of the last segment" was spelt, how V2 segments were split into chunks), so
// that encode(parse(bytes)) == bytes for every valid input.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::pccrc {

// One V1 block or one V2 segment seen as a block: the unit a peer serves and a client verifies.
struct Block {
  BlockIndex index;      // within its segment
  std::uint64_t offset;  // absolute, in the content
  std::uint32_t length;
  crypto::Digest hash;   // V1: H(block); V2: the segment's HoD
  friend bool operator==(const Block&, const Block&) = default;
};

struct Segment {
  SegmentIndex index;      // zero-based, within the whole content
  std::uint64_t offset;    // absolute offset of the segment in the content
  std::uint32_t length;    // cbSegment: always the whole segment, even in a range CI
  crypto::Digest hod;      // SegmentHashOfData
  crypto::Digest kp;       // SegmentSecret
  // V1: the listed block hashes; entry i is block (first_listed_block + i) of the segment.
  // V2: empty (the segment is verified against HoD as a whole).
  std::vector<crypto::Digest> block_hashes;
  BlockIndex first_listed_block{0};

  [[nodiscard]] std::uint64_t end() const noexcept { return offset + length; }
  friend bool operator==(const Segment&, const Segment&) = default;
};

// How the V1 header spelt dwReadBytesInLastSegment, kept for a byte-exact re-encode.
struct V1Wire {
  std::uint32_t read_bytes_in_last_segment = 0;  // 0 = to the end of the last segment
  friend bool operator==(const V1Wire&, const V1Wire&) = default;
};

// How the V2 CI spelt its range length and chunking.
struct V2Wire {
  std::uint64_t length_of_range = 0;              // 0 = to the end of the last listed segment
  std::vector<std::uint32_t> segments_per_chunk;  // empty = all segments in one chunk
  friend bool operator==(const V2Wire&, const V2Wire&) = default;
};

struct ContentInformation {
  HashScheme scheme;
  ByteRange range;                // the content bytes this CI describes (absolute offsets)
  std::vector<Segment> segments;  // those intersecting the range, in content order
  V1Wire v1;
  V2Wire v2;

  [[nodiscard]] Version version() const noexcept { return scheme.version; }
  [[nodiscard]] std::size_t hash_size() const noexcept { return scheme.hash_size(); }

  // The blocks of a segment the CI lists, with absolute offsets and lengths. V2: one block,
  // the whole segment, hashed by HoD.
  [[nodiscard]] std::vector<Block> blocks(const Segment& segment) const;
  // Segment ID (HoHoDk) of a listed segment: public, what discovery and retrieval use.
  [[nodiscard]] crypto::Digest segment_id(const Segment& segment) const;

  // Header fields derived from the model, as they go on the wire.
  [[nodiscard]] std::uint32_t offset_in_first_segment() const noexcept;  // dwOffsetInFirstSegment

  friend bool operator==(const ContentInformation&, const ContentInformation&) = default;
};

// Segments per V1 content length (ceil(len / 32 MiB)); blocks per V1 segment length.
[[nodiscard]] constexpr std::uint32_t v1_blocks_in_segment(std::uint32_t segment_length) noexcept {
  return segment_length / 65536U + (segment_length % 65536U != 0 ? 1U : 0U);
}

}  // namespace peerdist::pccrc
