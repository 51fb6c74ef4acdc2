#include "fields.hpp"

#include <stdexcept>
#include <utility>

namespace peerdist::ipc::detail {

void FieldReader::fail(std::size_t offset, std::string_view field, std::string reason) {
  if (error_) return;
  std::string name(message_);
  name += '.';
  name += field;
  error_ = util::DecodeError{std::move(name), offset, std::move(reason)};
}

std::uint64_t FieldReader::u64_at_most(std::string_view field, std::uint64_t max) {
  const std::size_t at = offset();
  const std::uint64_t value = u64(field);
  if (value > max) {
    fail(at, field, std::to_string(value) + " exceeds the limit of " + std::to_string(max));
    return 0;
  }
  return value;
}

bool FieldReader::flag(std::string_view field) {
  const std::size_t at = offset();
  const std::uint8_t value = u8(field);
  if (value > 1) fail(at, field, "must be 0 or 1, got " + std::to_string(value));
  return value == 1;
}

std::span<const std::uint8_t> FieldReader::span(std::string_view field, std::uint32_t min,
                                                std::uint32_t max) {
  const std::size_t at = offset();
  const std::uint32_t length = u32(field);
  if (failed()) return {};
  if (length < min || length > max) {
    fail(at, field,
         "length must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
             std::to_string(length));
    return {};
  }
  // The length is checked against what is left before anything is allocated for it.
  return take(reader_.bytes(length, field));
}

std::vector<std::uint8_t> FieldReader::blob(std::string_view field, std::uint32_t min,
                                            std::uint32_t max) {
  const auto bytes = span(field, min, max);
  return {bytes.begin(), bytes.end()};
}

std::string FieldReader::text(std::string_view field, std::uint32_t max) {
  const auto bytes = span(field, 0, max);
  return {bytes.begin(), bytes.end()};
}

void FieldWriter::blob(std::span<const std::uint8_t> bytes, std::uint32_t min, std::uint32_t max) {
  require(bytes.size() >= min && bytes.size() <= max);
  out_.u32le(static_cast<std::uint32_t>(bytes.size()));
  out_.bytes(bytes);
}

void FieldWriter::text(std::string_view s, std::uint32_t max) {
  require(s.size() <= max);
  out_.u32le(static_cast<std::uint32_t>(s.size()));
  for (const char c : s) out_.u8(static_cast<std::uint8_t>(c));
}

void FieldWriter::require(bool within_cap) {
  // Checked in every build: past a cap, a length would be truncated to 32 bits or produce a
  // frame the peer rejects, and either way the connection would be lost far from the bug.
  if (!within_cap) throw std::length_error("ipc: a message field is outside its cap");
}

}  // namespace peerdist::ipc::detail
