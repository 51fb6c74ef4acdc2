#include "peerdist/service/cache_lookup.hpp"

#include <spdlog/spdlog.h>

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

const store::SegmentState* CacheLookup::state(const crypto::Digest& segment_id) {
  auto it = states_.find(segment_id);
  if (it == states_.end()) {
    auto found = cache_.segment(segment_id);
    std::optional<store::SegmentState> state;
    if (!found) {
      spdlog::warn("data cache: looking up segment {} failed: {}", segment_id.hex(),
                   found.error().message);
    } else {
      state = std::move(*found);
    }
    it = states_.emplace(segment_id, std::move(state)).first;
  }
  return it->second ? &*it->second : nullptr;
}

bool CacheLookup::held(const BlockPlace& place) {
  const BlockKey key = layout_.key(place);
  if (pending_.contains(key)) return true;
  const store::SegmentState* s = state(key.segment_id);
  return s != nullptr && place.index.value() < s->present.size() && s->present[place.index.value()];
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

std::uint64_t CacheLookup::next_held(std::uint64_t offset, std::uint64_t limit) {
  auto place = layout_.locate(offset);
  if (!place) return limit;
  const std::size_t first_segment = place->segment;
  // The block holding `offset` is the missing one; look from the next.
  for (place = layout_.next(*place); place && place->offset < limit; place = layout_.next(*place)) {
    if (place->segment - first_segment >= kMaxScanSegments) return place->offset;
    if (held(*place)) return place->offset;
  }
  return limit;
}

}  // namespace peerdist::service
