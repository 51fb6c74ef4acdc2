// Encode and parse content information bytes (spec digest §3, §4, §7, §8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::pccrc {

// parse() rejects anything larger. A whole-file V1 SHA-256 CI is about content length / 2048, so
// this allows ~1 TiB of content; it bounds what a hostile server can make a client allocate.
inline constexpr std::size_t kMaxContentInformationSize = std::size_t{512} * 1024 * 1024;

// Parses and validates untrusted CI bytes with every rule of spec digest §8. The buffer must be
// exactly one CI (trailing bytes are an error). Never reads outside `bytes`.
[[nodiscard]] Expected<ContentInformation, util::DecodeError> parse(
    std::span<const std::uint8_t> bytes);

// Serialises a CI. The model must be well-formed (as parse() or the builder produce it).
[[nodiscard]] std::vector<std::uint8_t> encode(const ContentInformation& ci);

}  // namespace peerdist::pccrc
