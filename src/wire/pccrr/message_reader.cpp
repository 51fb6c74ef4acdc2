#include "message_reader.hpp"

#include "peerdist/util/checked.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

namespace peerdist::wire::pccrr::detail {

std::string FieldName::str() const {
  if (array.empty()) return std::string(field);
  return std::string(array) + "[" + std::to_string(index) + "]." + std::string(field);
}

void MessageReader::fail(std::size_t offset, const FieldName& field, std::string reason) {
  if (error_) return;
  error_ =
      util::DecodeError{std::string(message_name_) + "." + field.str(), offset, std::move(reason)};
}

void MessageReader::skip_header() {
  // decode_header() has validated these 16 bytes already.
  (void)bytes(kMessageHeaderSize, "MESSAGE_HEADER");
}

std::uint32_t MessageReader::u32(const FieldName& field) {
  if (error_) return 0;
  const std::size_t at = reader_.offset();
  auto value = reader_.u32be("");
  if (!value) {
    fail(at, field, value.error().reason);
    return 0;
  }
  return *value;
}

std::span<const std::uint8_t> MessageReader::bytes(std::size_t n, const FieldName& field) {
  if (error_) return {};
  const std::size_t at = reader_.offset();
  auto value = reader_.bytes(n, "");
  if (!value) {
    fail(at, field, value.error().reason);
    return {};
  }
  return *value;
}

std::span<const std::uint8_t> MessageReader::sized_bytes(const FieldName& size_field,
                                                         const FieldName& field) {
  const std::size_t at = reader_.offset();
  const std::uint32_t size = u32(size_field);
  if (error_) return {};
  if (size > reader_.remaining()) {
    fail(at, size_field,
         std::to_string(size) + " bytes, only " + std::to_string(reader_.remaining()) + " left");
    return {};
  }
  return bytes(size, field);
}

void MessageReader::zero_pad(const FieldName& field) {
  const std::size_t misalignment = reader_.offset() % 4;
  if (misalignment != 0) (void)bytes(4 - misalignment, field);
}

SegmentId MessageReader::segment_id(const FieldName& size_field, const FieldName& field) {
  const std::size_t at = reader_.offset();
  const std::uint32_t size = u32(size_field);
  if (error_) return {};
  if (size < kMinSegmentIdSize || size > kMaxSegmentIdSize) {
    fail(at, size_field,
         "must be " + std::to_string(kMinSegmentIdSize) + ".." + std::to_string(kMaxSegmentIdSize) +
             ", got " + std::to_string(size));
    return {};
  }
  return SegmentId(bytes(size, field));
}

std::uint32_t MessageReader::count(const FieldName& field, std::uint32_t min, std::uint32_t max,
                                   std::size_t entry_size) {
  const std::size_t at = reader_.offset();
  const std::uint32_t n = u32(field);
  if (error_) return 0;
  if (n < min || n > max) {
    fail(at, field,
         "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
             std::to_string(n));
    return 0;
  }
  const auto needed = util::checked_mul<std::uint64_t>(n, entry_size);
  if (!needed || *needed > reader_.remaining()) {
    fail(at, field,
         std::to_string(n) + " entries need at least " +
             (needed ? std::to_string(*needed) : std::string("2^64")) + " bytes, only " +
             std::to_string(reader_.remaining()) + " left");
    return 0;
  }
  return n;
}

bool MessageReader::range(const FieldName& index_field, const FieldName& count_field,
                          std::uint32_t& index, std::uint32_t& count) {
  index = u32(index_field);
  const std::size_t count_at = reader_.offset();
  count = u32(count_field);
  if (error_) return false;
  if (count == 0) {
    fail(count_at, count_field, "must be at least 1");
    return false;
  }
  if (!util::checked_add(index, count - 1)) {
    fail(count_at, count_field,
         "range " + std::to_string(index) + " + " + std::to_string(count) +
             " runs past index 2^32 - 1");
    return false;
  }
  return true;
}

std::vector<BlockRange> MessageReader::block_ranges(std::uint32_t n, std::string_view array) {
  std::vector<BlockRange> out;
  out.reserve(n);  // count() has checked that n ranges fit in the message
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t index = 0;
    std::uint32_t count = 0;
    if (!range({array, i, "Index"}, {array, i, "Count"}, index, count)) return {};
    out.push_back(BlockRange{pccrc::BlockIndex(index), count});
  }
  return out;
}

std::vector<SegmentRange> MessageReader::segment_ranges(std::uint32_t n, std::string_view array) {
  std::vector<SegmentRange> out;
  out.reserve(n);  // count() has checked that n ranges fit in the message
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t first = 0;
    std::uint32_t count = 0;
    if (!range({array, i, "Index"}, {array, i, "Count"}, first, count)) return {};
    out.push_back(SegmentRange{first, count});
  }
  return out;
}

}  // namespace peerdist::wire::pccrr::detail
