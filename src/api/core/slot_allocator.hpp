// Which slots of the shared ring are in use. Pieces of several streams are in flight at once and
// their Results free them in any order, so this is a small first-fit allocator over fixed-size
// slots, not a FIFO: a slow stream never holds up space another stream has released.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace peerdist::api {

class SlotAllocator {
 public:
  explicit SlotAllocator(std::size_t slots) : used_(slots, false) {}

  // The first slot of `count` (>= 1) free contiguous slots, now marked used, or nullopt. The
  // search starts after the last allocation and wraps once ("next fit"), so successive pieces
  // walk round the ring instead of reusing its first slots while later ones age.
  [[nodiscard]] std::optional<std::size_t> allocate(std::size_t count);
  // Frees slots returned by allocate (precondition: exactly such a range).
  void release(std::size_t first, std::size_t count) noexcept;

  [[nodiscard]] std::size_t slots() const noexcept { return used_.size(); }
  [[nodiscard]] std::size_t free_slots() const noexcept { return free_; }

 private:
  std::vector<bool> used_;
  std::size_t free_ = used_.size();
  std::size_t cursor_ = 0;
};

}  // namespace peerdist::api
