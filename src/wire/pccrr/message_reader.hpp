// Internal to the codec: the field reader every message body's decoder is written with (see
// requests.cpp, responses.cpp), so that a decoder is a plain list of reads in wire order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrr/messages.hpp"

namespace peerdist::wire::pccrr::detail {

// A field's spec name, formatted only when an error needs it: "SizeOfBlock", or
// "NeededBlockRanges[3].Count" for a member of an array entry.
struct FieldName {
  std::string_view field;
  std::string_view array;  // empty unless the field belongs to entry `index` of this array
  std::size_t index = 0;

  FieldName(const char* f) noexcept : field(f) {}  // NOLINT(google-explicit-constructor)
  FieldName(std::string_view a, std::size_t i, std::string_view f) noexcept
      : field(f), array(a), index(i) {}
  [[nodiscard]] std::string str() const;
};

// Reads one message (MESSAGE_HEADER first). The first failure is kept and every later read
// returns zero or empty, so loops over counts end at once. Errors name fields "<MSG>.<field>"
// with their offset from the start of the message.
class MessageReader {
 public:
  MessageReader(std::span<const std::uint8_t> message, std::string_view message_name) noexcept
      : reader_(message), message_name_(message_name) {}

  [[nodiscard]] bool at_end() const noexcept { return reader_.at_end(); }

  void skip_header();
  std::uint32_t u32(const FieldName& field);
  std::span<const std::uint8_t> bytes(std::size_t n, const FieldName& field);
  // A u32 byte count (the Size field), then that many bytes.
  std::span<const std::uint8_t> sized_bytes(const FieldName& size_field, const FieldName& field);
  // ZeroPad: 0-3 bytes up to the next multiple of 4 from the message start. Their values are
  // not checked (the spec says zero; nobody depends on it); their presence is.
  void zero_pad(const FieldName& field);
  // SizeOfSegmentID (1..64), SegmentID.
  SegmentId segment_id(const FieldName& size_field, const FieldName& field);
  // A count in [min, max] whose entries, at least entry_size bytes each, fit in what is left:
  // checked before anyone allocates for them.
  std::uint32_t count(const FieldName& field, std::uint32_t min, std::uint32_t max,
                      std::size_t entry_size);
  // `count` BLOCK_RANGEs / SEGMENT_RANGEs: Count >= 1, Index + Count within 2^32.
  std::vector<BlockRange> block_ranges(std::uint32_t count, std::string_view array);
  std::vector<SegmentRange> segment_ranges(std::uint32_t count, std::string_view array);

  void fail(std::size_t offset, const FieldName& field, std::string reason);

  // The first error, else one for trailing bytes, else the value.
  template <class T>
  Expected<T, util::DecodeError> finish(T value) {
    if (!error_ && !reader_.at_end()) {
      // Named after the message: no field is wrong, the message is longer than its fields.
      error_ = util::DecodeError{
          std::string(message_name_), reader_.offset(),
          std::to_string(reader_.remaining()) + " trailing bytes after the last field"};
    }
    if (error_) return Unexpected(std::move(*error_));
    return value;
  }

 private:
  // {Index, Count} pairs, validated; nullopt after a failure.
  bool range(const FieldName& index_field, const FieldName& count_field, std::uint32_t& index,
             std::uint32_t& count);

  util::ByteReader reader_;
  std::string_view message_name_;
  std::optional<util::DecodeError> error_;
};

}  // namespace peerdist::wire::pccrr::detail
