#include "peerdist/util/byte_reader.hpp"

#include <string>

namespace peerdist::util {

DecodeError ByteReader::error(std::string_view field, std::string reason) const {
  return error_at(pos_, field, std::move(reason));
}

DecodeError ByteReader::error_at(std::size_t offset, std::string_view field, std::string reason) {
  return DecodeError{std::string(field), offset, std::move(reason)};
}

template <class T, bool BigEndian>
Expected<T, DecodeError> ByteReader::integer(std::string_view field) {
  constexpr std::size_t n = sizeof(T);
  if (remaining() < n) {
    return Unexpected(error(field, "needs " + std::to_string(n) + " bytes, only " +
                                       std::to_string(remaining()) + " left"));
  }
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    value = (value << 8U) | data_[pos_ + (BigEndian ? i : n - 1 - i)];
  }
  pos_ += n;
  return static_cast<T>(value);
}

Expected<std::uint8_t, DecodeError> ByteReader::u8(std::string_view field) {
  return integer<std::uint8_t, false>(field);
}
Expected<std::uint16_t, DecodeError> ByteReader::u16le(std::string_view field) {
  return integer<std::uint16_t, false>(field);
}
Expected<std::uint32_t, DecodeError> ByteReader::u32le(std::string_view field) {
  return integer<std::uint32_t, false>(field);
}
Expected<std::uint64_t, DecodeError> ByteReader::u64le(std::string_view field) {
  return integer<std::uint64_t, false>(field);
}
Expected<std::uint16_t, DecodeError> ByteReader::u16be(std::string_view field) {
  return integer<std::uint16_t, true>(field);
}
Expected<std::uint32_t, DecodeError> ByteReader::u32be(std::string_view field) {
  return integer<std::uint32_t, true>(field);
}
Expected<std::uint64_t, DecodeError> ByteReader::u64be(std::string_view field) {
  return integer<std::uint64_t, true>(field);
}

Expected<std::span<const std::uint8_t>, DecodeError> ByteReader::bytes(std::size_t n,
                                                                       std::string_view field) {
  if (remaining() < n) {
    return Unexpected(error(field, "needs " + std::to_string(n) + " bytes, only " +
                                       std::to_string(remaining()) + " left"));
  }
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Expected<void, DecodeError> ByteReader::expect_end(std::string_view what) const {
  if (at_end()) return {};
  return Unexpected(error(what, std::to_string(remaining()) + " unexpected trailing bytes"));
}

}  // namespace peerdist::util
