// Vocabulary types of content information: versions, indices and byte ranges.
#pragma once

#include <cstdint>
#include <string_view>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/util/strong_index.hpp"

namespace peerdist::pccrc {

enum class Version : std::uint8_t { v1 = 1, v2 = 2 };

[[nodiscard]] constexpr std::string_view to_string(Version v) noexcept {
  return v == Version::v1 ? "1.0" : "2.0";
}

// Index of a segment within the whole content (not within one CI, which may list a range).
using SegmentIndex = util::StrongIndex<struct SegmentIndexTag>;
// Index of a block within its segment (V1: 0..511; V2: always 0, a segment is one block).
using BlockIndex = util::StrongIndex<struct BlockIndexTag, std::uint32_t>;

// A half-open byte range [start, end) of the content.
struct ByteRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;

  [[nodiscard]] constexpr std::uint64_t length() const noexcept { return end - start; }
  [[nodiscard]] constexpr bool empty() const noexcept { return end <= start; }
  [[nodiscard]] constexpr bool intersects(ByteRange o) const noexcept {
    return start < o.end && o.start < end;
  }
  [[nodiscard]] constexpr bool contains(ByteRange o) const noexcept {
    return start <= o.start && o.end <= end;
  }
  friend constexpr bool operator==(ByteRange, ByteRange) = default;
};

// The hash a CI uses for block hashes and HoD: V1 SHA-256/384/512; V2 is always SHA-512
// (its values are truncated to 32 bytes).
struct HashScheme {
  Version version = Version::v1;
  crypto::HashAlgorithm algorithm = crypto::HashAlgorithm::sha256;

  [[nodiscard]] static constexpr HashScheme v2() noexcept {
    return {Version::v2, crypto::HashAlgorithm::sha512};
  }
  // Bytes in every hash and key of this CI: 32/48/64 for V1, 32 for V2.
  [[nodiscard]] constexpr std::size_t hash_size() const noexcept {
    return version == Version::v2 ? 32 : crypto::digest_size(algorithm);
  }
  friend constexpr bool operator==(HashScheme, HashScheme) = default;
};

}  // namespace peerdist::pccrc
