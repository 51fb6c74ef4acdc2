#include "peerdist/service/partial_blocks.hpp"

#include <algorithm>

namespace peerdist::service {

std::optional<std::vector<std::uint8_t>> PartialBlocks::add(std::uint64_t ordinal,
                                                            std::uint32_t length, std::uint32_t at,
                                                            std::span<const std::uint8_t> piece) {
  if (piece.empty() || at >= length || piece.size() > length - at) return std::nullopt;
  auto [it, inserted] = blocks_.try_emplace(ordinal);
  Block& block = it->second;
  if (inserted) {
    block.bytes.resize(length);
    bytes_ += length;
  }
  block.touched = next_touch_++;
  std::copy(piece.begin(), piece.end(), block.bytes.begin() + at);

  // Merge [at, end) into the disjoint intervals, recounting what the merged ones covered.
  auto start = at;
  auto end = static_cast<std::uint32_t>(at + piece.size());
  auto first = block.have.upper_bound(start);
  if (first != block.have.begin() && std::prev(first)->second >= start) --first;
  auto last = first;
  while (last != block.have.end() && last->first <= end) {
    start = std::min(start, last->first);
    end = std::max(end, last->second);
    block.have_bytes -= last->second - last->first;
    ++last;
  }
  block.have.erase(first, last);
  block.have.emplace(start, end);
  block.have_bytes += end - start;

  if (block.have_bytes == length) {
    std::vector<std::uint8_t> whole = std::move(block.bytes);
    bytes_ -= length;
    blocks_.erase(it);
    return whole;
  }
  bound(ordinal);
  return std::nullopt;
}

void PartialBlocks::bound(std::uint64_t keep) {
  while (bytes_ > max_bytes_ && blocks_.size() > 1) {
    auto oldest = blocks_.end();
    for (auto it = blocks_.begin(); it != blocks_.end(); ++it) {
      if (it->first == keep) continue;
      if (oldest == blocks_.end() || it->second.touched < oldest->second.touched) oldest = it;
    }
    if (oldest == blocks_.end()) return;
    bytes_ -= oldest->second.bytes.size();
    blocks_.erase(oldest);
    ++dropped_;
  }
}

void PartialBlocks::forget(std::uint64_t ordinal) {
  auto it = blocks_.find(ordinal);
  if (it == blocks_.end()) return;
  bytes_ -= it->second.bytes.size();
  blocks_.erase(it);
}

void PartialBlocks::clear() {
  blocks_.clear();
  bytes_ = 0;
}

}  // namespace peerdist::service
