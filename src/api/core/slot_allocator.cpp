#include "core/slot_allocator.hpp"

#include <cassert>

namespace peerdist::api {

std::optional<std::size_t> SlotAllocator::allocate(std::size_t count) {
  const std::size_t n = used_.size();
  if (count == 0 || count > free_) return std::nullopt;
  // A run may not wrap past the end: its bytes must be contiguous in the mapping.
  for (std::size_t tried = 0; tried < n; ++tried) {
    const std::size_t first = (cursor_ + tried) % n;
    if (first + count > n) continue;
    bool fits = true;
    for (std::size_t i = first; i < first + count; ++i) {
      if (used_[i]) {
        fits = false;
        break;
      }
    }
    if (!fits) continue;
    for (std::size_t i = first; i < first + count; ++i) used_[i] = true;
    free_ -= count;
    cursor_ = (first + count) % n;
    return first;
  }
  return std::nullopt;
}

void SlotAllocator::release(std::size_t first, std::size_t count) noexcept {
  assert(first + count <= used_.size());
  for (std::size_t i = first; i < first + count; ++i) {
    assert(used_[i]);
    used_[i] = false;
  }
  free_ += count;
}

}  // namespace peerdist::api
