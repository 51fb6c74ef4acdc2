// Strong typedefs for indices, so that a segment index is never passed where a block index is
// expected (the libtorrent piece_index_t idea).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace peerdist::util {

template <class Tag, class Rep = std::uint64_t>
class StrongIndex {
 public:
  using rep_type = Rep;
  constexpr StrongIndex() = default;
  constexpr explicit StrongIndex(Rep value) noexcept : value_(value) {}

  [[nodiscard]] constexpr Rep value() const noexcept { return value_; }
  constexpr StrongIndex& operator++() noexcept { ++value_; return *this; }
  constexpr StrongIndex operator++(int) noexcept { auto old = *this; ++value_; return old; }
  [[nodiscard]] constexpr StrongIndex next() const noexcept { return StrongIndex(value_ + 1); }

  friend constexpr auto operator<=>(StrongIndex, StrongIndex) = default;

 private:
  Rep value_{};
};

}  // namespace peerdist::util

template <class Tag, class Rep>
struct std::hash<peerdist::util::StrongIndex<Tag, Rep>> {
  std::size_t operator()(peerdist::util::StrongIndex<Tag, Rep> i) const noexcept {
    return std::hash<Rep>{}(i.value());
  }
};
