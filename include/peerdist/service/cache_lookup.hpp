// What a read asks the data cache, on the cache thread: the blocks at an offset, how far the
// locally held bytes run, and where the next held byte is. "Held" is the cache's present
// blocks plus the blocks put and not yet committed (a snapshot of CacheFront::pending()).
//
// A store error while looking is logged and the block counted as absent: the read then
// reports it missing, and the application fetches it from the origin.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/service/cache_front.hpp"
#include "peerdist/service/content_layout.hpp"
#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

// The bytes of one block, whoever holds them (a VerifiedBlock pending commit, or bytes read
// from the cache).
struct BlockBytes {
  std::shared_ptr<const void> owner;
  std::span<const std::uint8_t> bytes;

  [[nodiscard]] static BlockBytes of(std::shared_ptr<const pccrc::VerifiedBlock> block);
  [[nodiscard]] static BlockBytes of(std::vector<std::uint8_t> bytes);
};

// Scans stop after this many segments (a V2 content has one per ~64 KiB): a missing range or
// a query's answer then ends early, which costs the application one more round, never a wrong
// byte. 4096 V1 segments are 128 GiB, past the 4 GiB a DWORD can report anyway.
inline constexpr std::size_t kMaxScanSegments = 4096;

class CacheLookup {
 public:
  CacheLookup(store::DataCache& cache, const PendingBlocks& pending, const ContentLayout& layout)
      : cache_(cache), pending_(pending), layout_(layout) {}

  // The bytes of a held block (and the segment is marked used), or nullopt.
  [[nodiscard]] std::optional<BlockBytes> read(const BlockPlace& place);
  // Whether a block is held, from the segment's presence (cached per lookup).
  [[nodiscard]] bool held(const BlockPlace& place);
  // The end of the held bytes that run contiguously from `offset`, at most `limit`.
  [[nodiscard]] std::uint64_t held_until(std::uint64_t offset, std::uint64_t limit);
  // The first held byte after `offset` (whose block is not held), at most `limit`.
  [[nodiscard]] std::uint64_t next_held(std::uint64_t offset, std::uint64_t limit);

 private:
  // The segment's presence (read once per lookup), or nullptr.
  const store::SegmentPresence* presence(const crypto::Digest& segment_id);
  // The first block at or after `from` of the layout's segment `segment` that is held (cache or
  // pending), if any: one presence and one pending lookup for the whole segment.
  std::optional<std::uint32_t> first_held_in(std::size_t segment, std::uint32_t from);

  store::DataCache& cache_;
  const PendingBlocks& pending_;
  const ContentLayout& layout_;
  std::map<crypto::Digest, std::optional<store::SegmentPresence>, DigestLess> states_;
};

}  // namespace peerdist::service
