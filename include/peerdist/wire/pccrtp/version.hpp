// A "<major>.<minor>" number as MS-PCCRTP writes them: the PeerDist protocol version in
// X-P2P-PeerDist (1.0, 1.1) and the content information versions in X-P2P-PeerDistEx (1.0, 2.0).
// Major and minor are separate integers (spec digest §2: 1.23 > 1.3).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peerdist::wire::pccrtp {

struct Version {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy flags the defaulted comparison itself.
  friend auto operator<=>(const Version&, const Version&) = default;
};

// "1.1": digits, '.', digits; no sign, no spaces, each part within 32 bits. nullopt otherwise.
[[nodiscard]] std::optional<Version> parse_version(std::string_view text);

// "1.1", as Windows writes it.
[[nodiscard]] std::string to_string(Version version);

}  // namespace peerdist::wire::pccrtp
