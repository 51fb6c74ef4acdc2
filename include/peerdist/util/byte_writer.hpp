// Appends fixed-width integers and byte strings to a growing buffer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace peerdist::util {

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16le(std::uint16_t v) { le(v, 2); }
  void u32le(std::uint32_t v) { le(v, 4); }
  void u64le(std::uint64_t v) { le(v, 8); }
  void u16be(std::uint16_t v) { be(v, 2); }
  void u32be(std::uint32_t v) { be(v, 4); }
  void u64be(std::uint64_t v) { be(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  [[nodiscard]] const std::vector<std::uint8_t>& view() const noexcept { return out_; }
  [[nodiscard]] std::vector<std::uint8_t> take() && noexcept { return std::move(out_); }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> out_;
};

}  // namespace peerdist::util
