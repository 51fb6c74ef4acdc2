// Where the blocks of one content handle's content information lie: its segments with their
// descriptors (what the cache and peers need) and absolute offsets (what reads and AddData
// name). Built once from the parsed CI when CompleteContentInformation succeeds, then shared,
// immutable, by the handle and the jobs it gives the cache thread and the hashing pool.
//
// Two spans matter:
// * range(): the bytes the CI describes, the only ones reads return (outside: NO_MORE);
// * [data_start(), data_end()): the whole listed segments, whose known blocks AddData can
//   verify (a range CI lists whole first and last segments, with the block hashes from block 0
//   to the last block of the range); an AddData offset at or past data_end() is OUT_OF_BOUNDS.
//
// Blocks are numbered in content order across the listed segments (ordinals), so that a block
// of a segment that appears twice in the content has two places.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/service/block_key.hpp"

namespace peerdist::service {

struct LayoutSegment {
  std::shared_ptr<const pccrc::SegmentDescriptor> descriptor;
  std::uint64_t offset = 0;         // absolute offset of the segment in the content
  std::uint64_t first_ordinal = 0;  // the ordinal of its block 0
};

// One block at one place of the content.
struct BlockPlace {
  std::size_t segment = 0;  // in ContentLayout::segments()
  pccrc::BlockIndex index;
  std::uint64_t offset = 0;  // absolute
  std::uint32_t length = 0;
  std::uint64_t ordinal = 0;

  [[nodiscard]] std::uint64_t end() const noexcept { return offset + length; }
};

class ContentLayout {
 public:
  // Hashes each segment's ID (HoHoDk): call it on a worker for large content.
  [[nodiscard]] static ContentLayout make(const pccrc::ContentInformation& ci);

  [[nodiscard]] pccrc::ByteRange range() const noexcept { return range_; }
  [[nodiscard]] std::uint64_t data_start() const noexcept;
  [[nodiscard]] std::uint64_t data_end() const noexcept;
  [[nodiscard]] const std::vector<LayoutSegment>& segments() const noexcept { return segments_; }
  [[nodiscard]] std::uint64_t block_count() const noexcept { return block_count_; }

  // The block holding `offset`, if a listed segment does.
  [[nodiscard]] std::optional<BlockPlace> locate(std::uint64_t offset) const;
  // The block after `place` in content order, if any.
  [[nodiscard]] std::optional<BlockPlace> next(const BlockPlace& place) const;
  [[nodiscard]] BlockPlace place(std::size_t segment, pccrc::BlockIndex index) const;
  [[nodiscard]] const pccrc::SegmentDescriptor& descriptor(const BlockPlace& place) const {
    return *segments_[place.segment].descriptor;
  }
  [[nodiscard]] BlockKey key(const BlockPlace& place) const {
    return BlockKey{descriptor(place).segment_id, place.index};
  }
  // Whether the CI knows the block's hash (AddData can verify it).
  [[nodiscard]] bool knows(const BlockPlace& place) const {
    return descriptor(place).knows_block(place.index);
  }
  // The places of a segment in this content (usually one), by segment index.
  [[nodiscard]] std::vector<std::size_t> positions(const crypto::Digest& segment_id) const;

 private:
  pccrc::ByteRange range_;
  std::vector<LayoutSegment> segments_;
  std::uint64_t block_count_ = 0;
  std::multimap<crypto::Digest, std::size_t, DigestLess> by_id_;
};

}  // namespace peerdist::service
