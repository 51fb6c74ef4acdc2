// What one row of the data cache's `segments` table holds, and the encodings of its blobs: the
// segment descriptor and the bitmap of present blocks. Private to src/store.
//
// Everything here decodes bytes read back from cache.sqlite, a file anyone with access to the
// state directory can edit: lengths are checked before use, values against each other, and a
// decoder never reads outside its input nor trusts a count to size an allocation it has not
// bounded (fuzz/data_cache_record_fuzz.cpp).
//
// Descriptor blob, version 1 (integers little-endian; hs = the scheme's hash size):
//   u8 format (1) | u8 CI version (1, 2) | u8 hash algorithm (0 SHA-256, 1 SHA-384, 2 SHA-512)
//   | u32 segment_length | u32 block_size | segment_id[hs] | HoD[hs] | Kp[hs]
//   V1 only: u32 n (= block count) | known bitmap[ceil(n/8)] | hash[hs] per known block
// Bitmaps: bit i (byte i / 8, least significant bit first) is block i; bits past the last block
// are zero. Every accepted encoding is the one encode() writes (decode then encode is identity).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::store::cache_record {

inline constexpr std::uint8_t kDescriptorFormat = 1;

[[nodiscard]] std::vector<std::uint8_t> encode_descriptor(const pccrc::SegmentDescriptor& d);
// A descriptor that is well_formed(), or why not.
[[nodiscard]] Expected<pccrc::SegmentDescriptor, util::DecodeError> decode_descriptor(
    std::span<const std::uint8_t> bytes);

// One bit per block of a segment.
class BlockBitmap {
 public:
  BlockBitmap() = default;
  explicit BlockBitmap(std::uint32_t blocks) : blocks_(blocks), bytes_(byte_size(blocks)) {}

  [[nodiscard]] static std::size_t byte_size(std::uint32_t blocks) noexcept {
    return blocks / 8U + (blocks % 8U != 0 ? 1U : 0U);
  }
  // Exactly byte_size(blocks) bytes with no bit set past the last block.
  [[nodiscard]] static Expected<BlockBitmap, util::DecodeError> decode(
      std::span<const std::uint8_t> bytes, std::uint32_t blocks);

  [[nodiscard]] std::uint32_t blocks() const noexcept { return blocks_; }
  // Callers check index < blocks().
  [[nodiscard]] bool test(std::uint32_t index) const noexcept {
    return (bytes_[index / 8U] & (1U << (index % 8U))) != 0;
  }
  void set(std::uint32_t index) noexcept {
    bytes_[index / 8U] = static_cast<std::uint8_t>(bytes_[index / 8U] | (1U << (index % 8U)));
  }
  void reset(std::uint32_t index) noexcept {
    bytes_[index / 8U] = static_cast<std::uint8_t>(bytes_[index / 8U] & ~(1U << (index % 8U)));
  }
  [[nodiscard]] std::uint32_t count() const noexcept;
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::vector<bool> to_bools() const;

 private:
  std::uint32_t blocks_ = 0;
  std::vector<std::uint8_t> bytes_;
};

// The shape of a segment as the row's own columns give it (what put_blocks and read_block need,
// without decoding the descriptor blob).
struct Geometry {
  pccrc::Version version = pccrc::Version::v1;
  std::uint32_t segment_length = 0;
  std::uint32_t block_size = 0;

  // V1: 1..32 MiB in 64 KiB blocks; V2: 1..128 KiB, one block.
  [[nodiscard]] bool valid() const noexcept;
  [[nodiscard]] std::uint32_t block_count() const noexcept;
  [[nodiscard]] std::uint32_t block_length(std::uint32_t index) const noexcept;
  [[nodiscard]] std::uint64_t block_offset(std::uint32_t index) const noexcept {
    return std::uint64_t{index} * block_size;
  }
};

// A row's columns as SQLite returns them, before any check.
struct RawRow {
  std::int64_t id = 0;
  std::span<const std::uint8_t> segment_id;
  std::int64_t version = 0;
  std::int64_t segment_length = 0;
  std::int64_t block_size = 0;
  std::span<const std::uint8_t> present;
  std::int64_t present_count = 0;
  std::int64_t bytes_present = 0;
  std::int64_t first_cached = 0;
  std::int64_t last_used = 0;
};

// A checked row: the geometry is valid, the bitmap has one bit per block, present_count is its
// population and bytes_present the sum of the present blocks' lengths.
struct Row {
  std::int64_t id = 0;
  crypto::Digest segment_id;
  Geometry geometry;
  BlockBitmap present;
  std::uint64_t bytes_present = 0;
  std::chrono::sys_seconds first_cached{};
  std::chrono::sys_seconds last_used{};
};

[[nodiscard]] Expected<Row, util::DecodeError> decode_row(const RawRow& raw);

// Whether a stored descriptor belongs to its row (same ID and geometry).
[[nodiscard]] bool matches(const Row& row, const pccrc::SegmentDescriptor& d) noexcept;

}  // namespace peerdist::store::cache_record
