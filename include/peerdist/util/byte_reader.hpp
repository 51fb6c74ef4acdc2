// Bounds-checked cursor over untrusted bytes. Every read names the field it reads, so that a
// short buffer yields a DecodeError saying which field did not fit and where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::util {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) noexcept : data_(data) {}

  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }
  [[nodiscard]] std::span<const std::uint8_t> whole() const noexcept { return data_; }

  Expected<std::uint8_t, DecodeError> u8(std::string_view field);
  Expected<std::uint16_t, DecodeError> u16le(std::string_view field);
  Expected<std::uint32_t, DecodeError> u32le(std::string_view field);
  Expected<std::uint64_t, DecodeError> u64le(std::string_view field);
  Expected<std::uint16_t, DecodeError> u16be(std::string_view field);
  Expected<std::uint32_t, DecodeError> u32be(std::string_view field);
  Expected<std::uint64_t, DecodeError> u64be(std::string_view field);
  // The next n bytes, without copying; the span lives as long as the underlying buffer.
  Expected<std::span<const std::uint8_t>, DecodeError> bytes(std::size_t n, std::string_view field);

  // Fails unless every byte was consumed ("trailing garbage").
  Expected<void, DecodeError> expect_end(std::string_view what) const;

  // An error at the current offset (for a field just about to be read) or at a given one.
  [[nodiscard]] DecodeError error(std::string_view field, std::string reason) const;
  [[nodiscard]] static DecodeError error_at(std::size_t offset, std::string_view field,
                                            std::string reason);

 private:
  template <class T, bool BigEndian>
  Expected<T, DecodeError> integer(std::string_view field);

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace peerdist::util
