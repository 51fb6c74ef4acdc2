// Internal to the message codec: the field-level reader and writer every message's encoder
// and decoder is written with, so that the two read side by side in messages.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/byte_writer.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::ipc::detail {

// Reads the fields of one payload. The first failure is kept and every later read returns 0,
// so a decoder is a plain list of reads followed by finish(). Errors name
// the field as "<Message>.<field>" with its offset in the payload.
class FieldReader {
 public:
  FieldReader(std::span<const std::uint8_t> payload, std::string_view message) noexcept
      : reader_(payload), message_(message) {}

  [[nodiscard]] std::size_t offset() const noexcept { return reader_.offset(); }
  [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }

  std::uint8_t u8(std::string_view field) { return take(reader_.u8(field)); }
  std::uint16_t u16(std::string_view field) { return take(reader_.u16le(field)); }
  std::uint32_t u32(std::string_view field) { return take(reader_.u32le(field)); }
  std::uint64_t u64(std::string_view field) { return take(reader_.u64le(field)); }
  std::uint64_t u64_at_most(std::string_view field, std::uint64_t max);
  // A boolean as one byte, 0 or 1; anything else is not a boolean the encoder wrote.
  bool flag(std::string_view field);
  // u32 length, then that many bytes; the length must lie in [min, max].
  std::vector<std::uint8_t> blob(std::string_view field, std::uint32_t min, std::uint32_t max);
  std::string text(std::string_view field, std::uint32_t max);

  // Records an error unless an earlier one is already recorded.
  void fail(std::size_t offset, std::string_view field, std::string reason);

  // The first error, else one for trailing bytes, else the decoded value.
  template <class T>
  Expected<T, util::DecodeError> finish(T value) {
    if (!error_) {
      if (auto end = reader_.expect_end(message_); !end) error_ = end.error();
    }
    if (error_) return Unexpected(std::move(*error_));
    return value;
  }

 private:
  template <class T>
  T take(Expected<T, util::DecodeError> read) {
    if (error_) return T{};
    if (!read) {
      fail(read.error().offset, read.error().field, read.error().reason);
      return T{};
    }
    return *read;
  }
  std::span<const std::uint8_t> span(std::string_view field, std::uint32_t min, std::uint32_t max);

  util::ByteReader reader_;
  std::string_view message_;
  std::optional<util::DecodeError> error_;
};

// Writes the fields of one payload. A field outside the cap the decoder enforces throws
// std::length_error (require()).
class FieldWriter {
 public:
  explicit FieldWriter(util::ByteWriter& out) noexcept : out_(out) {}

  void u8(std::uint8_t v) { out_.u8(v); }
  void u16(std::uint16_t v) { out_.u16le(v); }
  void u32(std::uint32_t v) { out_.u32le(v); }
  void u64(std::uint64_t v) { out_.u64le(v); }
  void flag(bool v) { out_.u8(v ? 1 : 0); }
  void blob(std::span<const std::uint8_t> bytes, std::uint32_t min, std::uint32_t max);
  void text(std::string_view s, std::uint32_t max);
  static void require(bool within_cap);

 private:
  util::ByteWriter& out_;
};

}  // namespace peerdist::ipc::detail
