#include "peerdist/service/cache_lookup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace peerdist::service {

BlockBytes BlockBytes::of(std::shared_ptr<const pccrc::VerifiedBlock> block) {
  const std::span<const std::uint8_t> bytes = block->bytes();
  return BlockBytes{std::move(block), bytes};
}

BlockBytes BlockBytes::of(std::vector<std::uint8_t> bytes) {
  auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
  const std::span<const std::uint8_t> view(*owned);
  return BlockBytes{std::move(owned), view};
}

std::optional<BlockBytes> CacheLookup::read(const BlockPlace& place) {
  const BlockKey key = layout_.key(place);
  if (auto it = pending_.find(key); it != pending_.end()) return BlockBytes::of(it->second);
  auto bytes = cache_.read_block(key.segment_id, key.index);
  if (!bytes) {
    spdlog::warn("data cache: reading a block of segment {} failed: {}", key.segment_id.hex(),
                 bytes.error().message);
    return std::nullopt;
  }
  if (!bytes->has_value() || (*bytes)->size() != place.length) return std::nullopt;
  return BlockBytes::of(std::move(**bytes));
}

const store::SegmentPresence* CacheLookup::presence(const crypto::Digest& segment_id) {
  auto it = states_.find(segment_id);
  if (it == states_.end()) {
    auto found = cache_.presence(segment_id);
    std::optional<store::SegmentPresence> presence;
    if (!found) {
      spdlog::warn("data cache: looking up segment {} failed: {}", segment_id.hex(),
                   found.error().message);
    } else {
      presence = std::move(*found);
    }
    it = states_.emplace(segment_id, std::move(presence)).first;
  }
  return it->second ? &*it->second : nullptr;
}

bool CacheLookup::held(const BlockPlace& place) {
  const BlockKey key = layout_.key(place);
  if (pending_.contains(key)) return true;
  const store::SegmentPresence* s = presence(key.segment_id);
  return s != nullptr && s->test(place.index.value());
}

std::uint64_t CacheLookup::held_until(std::uint64_t offset, std::uint64_t limit) {
  auto place = layout_.locate(offset);
  if (!place) return offset;
  const std::size_t first_segment = place->segment;
  std::uint64_t end = offset;
  while (place && held(*place)) {
    end = std::min(place->end(), limit);
    if (end >= limit) break;
    place = layout_.next(*place);
    if (place && place->segment - first_segment >= kMaxScanSegments) break;
  }
  return std::max(end, offset);
}

std::optional<std::uint32_t> CacheLookup::first_held_in(std::size_t segment, std::uint32_t from) {
  const pccrc::SegmentDescriptor& d = *layout_.segments()[segment].descriptor;
  std::uint32_t end = d.block_count();
  std::optional<std::uint32_t> found;
  // Pending blocks are ordered by segment, then index: the first at or after `from`.
  if (auto it = pending_.lower_bound(BlockKey{d.segment_id, pccrc::BlockIndex{from}});
      it != pending_.end() && it->first.segment_id == d.segment_id &&
      it->first.index.value() < end) {
    found = it->first.index.value();
    end = *found;
  }
  if (const store::SegmentPresence* s = presence(d.segment_id); s != nullptr) {
    if (auto present = s->next_present(from, end)) return present;
  }
  return found;
}

std::uint64_t CacheLookup::next_held(std::uint64_t offset, std::uint64_t limit) {
  auto place = layout_.locate(offset);
  if (!place) return limit;
  const std::size_t first_segment = place->segment;
  const auto& segments = layout_.segments();
  // The block holding `offset` is the missing one; look from the next. Segment by segment, not
  // block by block: a read that misses asks this, and the content may run on for 16,384 blocks
  // (1 GiB of V1) that nobody holds yet.
  std::uint32_t from = place->index.value() + 1;
  for (std::size_t s = first_segment; s < segments.size(); ++s, from = 0) {
    if (from >= segments[s].descriptor->block_count()) continue;
    const BlockPlace first = layout_.place(s, pccrc::BlockIndex{from});
    if (first.offset >= limit) return limit;
    if (s - first_segment >= kMaxScanSegments) return first.offset;
    if (auto held = first_held_in(s, from)) {
      return std::min(layout_.place(s, pccrc::BlockIndex{*held}).offset, limit);
    }
  }
  return limit;
}

}  // namespace peerdist::service
