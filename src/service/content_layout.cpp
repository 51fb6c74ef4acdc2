#include "peerdist/service/content_layout.hpp"

#include <algorithm>

namespace peerdist::service {

ContentLayout ContentLayout::make(const pccrc::ContentInformation& ci) {
  ContentLayout layout;
  layout.range_ = ci.range;
  layout.segments_.reserve(ci.segments.size());
  for (const pccrc::Segment& segment : ci.segments) {
    auto descriptor =
        std::make_shared<const pccrc::SegmentDescriptor>(pccrc::describe_segment(ci, segment));
    layout.by_id_.emplace(descriptor->segment_id, layout.segments_.size());
    const std::uint32_t blocks = descriptor->block_count();
    layout.segments_.push_back(
        LayoutSegment{std::move(descriptor), segment.offset, layout.block_count_});
    layout.block_count_ += blocks;
  }
  return layout;
}

std::uint64_t ContentLayout::data_start() const noexcept {
  return segments_.empty() ? range_.start : segments_.front().offset;
}

std::uint64_t ContentLayout::data_end() const noexcept {
  if (segments_.empty()) return range_.end;
  const LayoutSegment& last = segments_.back();
  return last.offset + last.descriptor->segment_length;
}

BlockPlace ContentLayout::place(std::size_t segment, pccrc::BlockIndex index) const {
  const LayoutSegment& s = segments_[segment];
  BlockPlace p;
  p.segment = segment;
  p.index = index;
  p.offset = s.offset + std::uint64_t{index.value()} * s.descriptor->block_size;
  p.length = s.descriptor->block_length(index);
  p.ordinal = s.first_ordinal + index.value();
  return p;
}

std::optional<BlockPlace> ContentLayout::locate(std::uint64_t offset) const {
  // The last segment starting at or before `offset`.
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), offset,
      [](std::uint64_t value, const LayoutSegment& s) { return value < s.offset; });
  if (it == segments_.begin()) return std::nullopt;
  --it;
  const std::uint64_t within = offset - it->offset;
  if (within >= it->descriptor->segment_length || it->descriptor->block_size == 0) {
    return std::nullopt;
  }
  const auto index = static_cast<std::uint32_t>(within / it->descriptor->block_size);
  return place(static_cast<std::size_t>(it - segments_.begin()), pccrc::BlockIndex{index});
}

std::optional<BlockPlace> ContentLayout::next(const BlockPlace& p) const {
  const LayoutSegment& s = segments_[p.segment];
  if (p.index.value() + 1 < s.descriptor->block_count()) return place(p.segment, p.index.next());
  if (p.segment + 1 < segments_.size()) return place(p.segment + 1, pccrc::BlockIndex{0});
  return std::nullopt;
}

std::vector<std::size_t> ContentLayout::positions(const crypto::Digest& segment_id) const {
  std::vector<std::size_t> out;
  auto [first, last] = by_id_.equal_range(segment_id);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

}  // namespace peerdist::service
