// Overflow-checked arithmetic for lengths and offsets read from untrusted input.
#pragma once

#include <concepts>
#include <optional>

namespace peerdist::util {

template <std::unsigned_integral T>
[[nodiscard]] constexpr std::optional<T> checked_add(T a, T b) noexcept {
  T out{};
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

template <std::unsigned_integral T>
[[nodiscard]] constexpr std::optional<T> checked_mul(T a, T b) noexcept {
  T out{};
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// ceil(a / b) for b > 0, without the overflow of (a + b - 1) / b.
template <std::unsigned_integral T>
[[nodiscard]] constexpr T ceil_div(T a, T b) noexcept {
  return static_cast<T>(a / b + (a % b != 0 ? 1U : 0U));
}

}  // namespace peerdist::util
