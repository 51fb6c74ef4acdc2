// What a cache, a peer and a client need to know about one segment, apart from the content it
// came from: its public ID (HoHoDk), the secret its blocks are encrypted with on the wire (Kp),
// how it is cut into blocks and the hash each block must match. Built from a CI's Segment
// (content information is per content; the data cache and the retrieval protocols are per
// segment, and one segment may belong to many contents).
//
// And the only way to get a VerifiedBlock: bytes whose hash matched. The data cache stores and
// serves nothing else, so "never serves an unverified byte" holds by construction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::pccrc {

struct SegmentDescriptor {
  crypto::Digest segment_id;  // HoHoDk (32 bytes for SHA-256 V1 and for V2)
  HashScheme scheme;
  crypto::Digest hod;  // HoD
  crypto::Digest kp;   // segment secret: the AES key of MS-PCCRR (its first 16/24/32 bytes)
  std::uint32_t segment_length = 0;
  // V1: 65536 (the last block may be shorter); V2: segment_length (the segment is one block).
  std::uint32_t block_size = 0;
  // V1: the hash of each block, indexed by BlockIndex, block_count() entries; an empty Digest
  // marks a block whose hash this descriptor does not know (a range CI lists only some blocks
  // of its first and last segment). V2: empty (the single block is verified against HoD).
  std::vector<crypto::Digest> block_hashes;

  [[nodiscard]] std::uint32_t block_count() const noexcept;
  // Length of a block (the last V1 block may be short); 0 for an index past the end.
  [[nodiscard]] std::uint32_t block_length(BlockIndex index) const noexcept;
  // Whether a block can be verified with what this descriptor knows.
  [[nodiscard]] bool knows_block(BlockIndex index) const noexcept;
  // Whether the fields fit together as describe_segment() makes them: hash sizes of the scheme,
  // 1 <= segment_length <= the version's maximum segment size, the version's block size, and
  // (V1) one entry per block, each empty or of the hash size / (V2) no block hashes. Does not
  // recompute anything (the segment ID from HoD and Kp is a store's check: it costs an HMAC).
  [[nodiscard]] bool well_formed() const noexcept;

  // Adds what `other` knows (the block hashes a second, overlapping range CI lists). false, and
  // nothing changed, when they disagree on anything but which block hashes are known.
  [[nodiscard]] bool merge(const SegmentDescriptor& other);

  friend bool operator==(const SegmentDescriptor&, const SegmentDescriptor&) = default;
};

// The descriptor of one of the CI's segments.
[[nodiscard]] SegmentDescriptor describe_segment(const ContentInformation& ci,
                                                 const Segment& segment);

// Bytes of one block that matched the hash of their descriptor.
class VerifiedBlock {
 public:
  [[nodiscard]] const crypto::Digest& segment_id() const noexcept { return segment_id_; }
  [[nodiscard]] BlockIndex index() const noexcept { return index_; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  // Gives the bytes up (the block is no longer usable as verified).
  [[nodiscard]] std::vector<std::uint8_t> release() && noexcept { return std::move(bytes_); }

 private:
  friend std::optional<VerifiedBlock> verify_block(const SegmentDescriptor&, BlockIndex,
                                                   std::vector<std::uint8_t>);
  VerifiedBlock(crypto::Digest segment_id, BlockIndex index, std::vector<std::uint8_t> bytes)
      : segment_id_(segment_id), index_(index), bytes_(std::move(bytes)) {}

  crypto::Digest segment_id_;
  BlockIndex index_;
  std::vector<std::uint8_t> bytes_;
};

// The block, if `bytes` has exactly its length and matches its hash (V1: the block hash; V2:
// the truncated SHA-512 of the whole segment equals HoD); nullopt otherwise, or when the
// descriptor does not know the block's hash.
[[nodiscard]] std::optional<VerifiedBlock> verify_block(const SegmentDescriptor& segment,
                                                        BlockIndex index,
                                                        std::vector<std::uint8_t> bytes);

}  // namespace peerdist::pccrc
