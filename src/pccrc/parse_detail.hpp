// Internal to parse(): the per-version parsers and the error helpers they share.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::pccrc::detail {

// Both take the whole buffer; parse() has already checked the size cap and that the version
// bytes select this parser.
[[nodiscard]] Expected<ContentInformation, util::DecodeError> parse_v1(
    std::span<const std::uint8_t> bytes);
[[nodiscard]] Expected<ContentInformation, util::DecodeError> parse_v2(
    std::span<const std::uint8_t> bytes);

// "segment[2].cbSegment": a field of the index-th structure of a repeated group. Only built on
// the error path, so that a CI with millions of segments does not format millions of names.
[[nodiscard]] inline std::string positional(std::string_view group, std::uint64_t index,
                                            std::string_view field) {
  std::string out(group);
  out += '[';
  out += std::to_string(index);
  out += "].";
  out += field;
  return out;
}

// A failed ByteReader read, renamed from the bare field name to its positional name.
[[nodiscard]] inline util::DecodeError with_position(util::DecodeError error,
                                                     std::string_view group, std::uint64_t index) {
  error.field = positional(group, index, error.field);
  return error;
}

[[nodiscard]] inline Unexpected<util::DecodeError> fail(std::uint64_t offset, std::string field,
                                                        std::string reason) {
  return Unexpected(util::DecodeError{std::move(field), offset, std::move(reason)});
}

}  // namespace peerdist::pccrc::detail
