// Base64 (RFC 4648 §4, standard alphabet, '=' padding), the xs:base64Binary text of the v2
// Scopes and of SegmentAges in MS-PCCRD.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peerdist::wire::pccrd {

[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);

// Strict about the form: a multiple of 4 characters of the standard alphabet, '=' only as the
// last one or two, no whitespace (callers split XML lists first). nullopt for anything else.
// Non-zero bits under the padding are tolerated (RFC 4648 §3.5 lets decoders accept them, and
// the decoded bytes are the same either way).
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace peerdist::wire::pccrd
