// A hash value of up to 64 bytes (SHA-512), held by value: no allocation per block hash.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace peerdist::crypto {

class Digest {
 public:
  static constexpr std::size_t kMaxSize = 64;

  constexpr Digest() = default;
  // Takes at most kMaxSize bytes; callers pass exact hash sizes.
  explicit Digest(std::span<const std::uint8_t> bytes) noexcept
      : size_(static_cast<std::uint8_t>(std::min(bytes.size(), kMaxSize))) {
    std::copy_n(bytes.begin(), size_, bytes_.begin());
  }

  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return {bytes_.data(), size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // The first n bytes (V2 truncates SHA-512 to 32 bytes).
  [[nodiscard]] Digest truncated(std::size_t n) const noexcept {
    return Digest(bytes().first(std::min(n, std::size_t{size_})));
  }
  [[nodiscard]] std::string hex() const;

  friend bool operator==(const Digest& a, const Digest& b) noexcept {
    return a.size_ == b.size_ && std::equal(a.bytes_.begin(), a.bytes_.begin() + a.size_, b.bytes_.begin());
  }

 private:
  std::array<std::uint8_t, kMaxSize> bytes_{};
  std::uint8_t size_ = 0;
};

}  // namespace peerdist::crypto
