#include "data_cache_record.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "peerdist/pccrc/constants.hpp"
#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/byte_writer.hpp"
#include "peerdist/util/checked.hpp"

namespace peerdist::store::cache_record {
namespace {

using util::ByteReader;
using util::DecodeError;

std::uint8_t algorithm_code(crypto::HashAlgorithm a) noexcept {
  return static_cast<std::uint8_t>(a);
}

std::optional<crypto::HashAlgorithm> algorithm_from(std::uint8_t code) noexcept {
  switch (code) {
    case 0: return crypto::HashAlgorithm::sha256;
    case 1: return crypto::HashAlgorithm::sha384;
    case 2: return crypto::HashAlgorithm::sha512;
    default: return std::nullopt;
  }
}

Unexpected<DecodeError> fail(std::size_t offset, std::string_view field, std::string reason) {
  return Unexpected(ByteReader::error_at(offset, field, std::move(reason)));
}

}  // namespace

std::vector<std::uint8_t> encode_descriptor(const pccrc::SegmentDescriptor& d) {
  const std::size_t hs = d.scheme.hash_size();
  util::ByteWriter w(15 + 3 * hs + d.block_hashes.size() * (hs + 1));
  w.u8(kDescriptorFormat);
  w.u8(static_cast<std::uint8_t>(d.scheme.version));
  w.u8(algorithm_code(d.scheme.algorithm));
  w.u32le(d.segment_length);
  w.u32le(d.block_size);
  w.bytes(d.segment_id.bytes());
  w.bytes(d.hod.bytes());
  w.bytes(d.kp.bytes());
  if (d.scheme.version == pccrc::Version::v1) {
    const auto n = static_cast<std::uint32_t>(d.block_hashes.size());
    w.u32le(n);
    BlockBitmap known(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!d.block_hashes[i].empty()) known.set(i);
    }
    w.bytes(known.bytes());
    for (const crypto::Digest& h : d.block_hashes) {
      if (!h.empty()) w.bytes(h.bytes());
    }
  }
  return std::move(w).take();
}

Expected<pccrc::SegmentDescriptor, DecodeError> decode_descriptor(
    std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  const std::size_t format_at = r.offset();
  auto format = r.u8("format");
  if (!format) return Unexpected(format.error());
  if (*format != kDescriptorFormat) {
    return fail(format_at, "format", "must be 1, got " + std::to_string(*format));
  }
  const std::size_t version_at = r.offset();
  auto version = r.u8("version");
  if (!version) return Unexpected(version.error());
  const std::size_t algorithm_at = r.offset();
  auto algorithm = r.u8("algorithm");
  if (!algorithm) return Unexpected(algorithm.error());

  pccrc::SegmentDescriptor d;
  if (*version == 1) {
    const auto a = algorithm_from(*algorithm);
    if (!a) {
      return fail(algorithm_at, "algorithm", "must be 0..2, got " + std::to_string(*algorithm));
    }
    d.scheme = pccrc::HashScheme{pccrc::Version::v1, *a};
  } else if (*version == 2) {
    if (algorithm_from(*algorithm) != crypto::HashAlgorithm::sha512) {
      return fail(algorithm_at, "algorithm",
                  "must be 2 (SHA-512) for V2, got " + std::to_string(*algorithm));
    }
    d.scheme = pccrc::HashScheme::v2();
  } else {
    return fail(version_at, "version", "must be 1 or 2, got " + std::to_string(*version));
  }

  const std::size_t length_at = r.offset();
  auto length = r.u32le("segment_length");
  if (!length) return Unexpected(length.error());
  auto block_size = r.u32le("block_size");
  if (!block_size) return Unexpected(block_size.error());
  d.segment_length = *length;
  d.block_size = *block_size;
  // The geometry first: it bounds the block count below before anything is allocated.
  const Geometry geometry{d.scheme.version, d.segment_length, d.block_size};
  if (!geometry.valid()) {
    return fail(length_at, "segment_length",
                "segment length " + std::to_string(*length) + " with block size " +
                    std::to_string(*block_size) + " is impossible for V" +
                    std::to_string(*version));
  }

  const std::size_t hs = d.scheme.hash_size();
  for (auto [field, target] :
       {std::pair{"segment_id", &d.segment_id}, std::pair{"hod", &d.hod}, std::pair{"kp", &d.kp}}) {
    auto hash = r.bytes(hs, field);
    if (!hash) return Unexpected(hash.error());
    *target = crypto::Digest(*hash);
  }

  if (d.scheme.version == pccrc::Version::v1) {
    const std::size_t count_at = r.offset();
    auto count = r.u32le("block_count");
    if (!count) return Unexpected(count.error());
    if (*count != geometry.block_count()) {
      return fail(
          count_at, "block_count",
          "must be " + std::to_string(geometry.block_count()) + ", got " + std::to_string(*count));
    }
    const std::size_t known_at = r.offset();
    auto known_bytes = r.bytes(BlockBitmap::byte_size(*count), "known");
    if (!known_bytes) return Unexpected(known_bytes.error());
    auto known = BlockBitmap::decode(*known_bytes, *count);
    if (!known) return fail(known_at, "known", known.error().reason);
    // count <= 512 (the geometry is valid), so this allocation is bounded.
    d.block_hashes.resize(*count);
    for (std::uint32_t i = 0; i < *count; ++i) {
      if (!known->test(i)) continue;
      auto hash = r.bytes(hs, "block_hash");
      if (!hash) return Unexpected(hash.error());
      d.block_hashes[i] = crypto::Digest(*hash);
    }
  }
  if (auto end = r.expect_end("descriptor"); !end) return Unexpected(end.error());
  // Every field was checked above; this is the same rule as a whole, in case one was missed.
  if (!d.well_formed()) return fail(0, "descriptor", "not a well-formed segment descriptor");
  return d;
}

// --- BlockBitmap ---

Expected<BlockBitmap, DecodeError> BlockBitmap::decode(std::span<const std::uint8_t> bytes,
                                                       std::uint32_t blocks) {
  if (bytes.size() != byte_size(blocks)) {
    return fail(0, "bitmap",
                "must be " + std::to_string(byte_size(blocks)) + " bytes for " +
                    std::to_string(blocks) + " blocks, got " + std::to_string(bytes.size()));
  }
  if (blocks % 8U != 0) {
    const auto unused = static_cast<std::uint8_t>(0xffU << (blocks % 8U));
    if ((bytes.back() & unused) != 0) {
      return fail(bytes.size() - 1, "bitmap", "has bits set past block " + std::to_string(blocks));
    }
  }
  BlockBitmap out;
  out.blocks_ = blocks;
  out.bytes_.assign(bytes.begin(), bytes.end());
  return out;
}

std::uint32_t BlockBitmap::count() const noexcept {
  // Eight bytes at a time (without -mpopcnt each std::popcount is a call).
  std::uint32_t n = 0;
  std::size_t i = 0;
  for (; i + 8 <= bytes_.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes_.data() + i, sizeof word);
    n += static_cast<std::uint32_t>(std::popcount(word));
  }
  for (; i < bytes_.size(); ++i) n += static_cast<std::uint32_t>(std::popcount(bytes_[i]));
  return n;
}

std::vector<bool> BlockBitmap::to_bools() const {
  std::vector<bool> out(blocks_);
  for (std::uint32_t i = 0; i < blocks_; ++i) out[i] = test(i);
  return out;
}

// --- Geometry ---

bool Geometry::valid() const noexcept {
  if (segment_length == 0) return false;
  if (version == pccrc::Version::v1) {
    return segment_length <= pccrc::kV1SegmentSize && block_size == pccrc::kV1BlockSize;
  }
  if (version == pccrc::Version::v2) {
    return segment_length <= pccrc::kV2MaxSegmentSize && block_size == segment_length;
  }
  return false;
}

std::uint32_t Geometry::block_count() const noexcept {
  return block_size == 0 ? 0 : util::ceil_div(segment_length, block_size);
}

std::uint32_t Geometry::block_length(std::uint32_t index) const noexcept {
  if (index >= block_count()) return 0;
  return std::min(block_size, segment_length - index * block_size);
}

// --- Rows ---

Expected<Row, DecodeError> decode_row(const RawRow& raw) {
  Row row;
  row.id = raw.id;
  const std::size_t id_size = raw.segment_id.size();
  if (id_size != 32 && id_size != 48 && id_size != 64) {
    return fail(0, "segment_id", "must be 32, 48 or 64 bytes, got " + std::to_string(id_size));
  }
  row.segment_id = crypto::Digest(raw.segment_id);
  if (raw.version == 1) {
    row.geometry.version = pccrc::Version::v1;
  } else if (raw.version == 2 && id_size == 32) {
    row.geometry.version = pccrc::Version::v2;
  } else {
    return fail(0, "version",
                "must be 1, or 2 with a 32-byte segment ID, got " + std::to_string(raw.version));
  }
  constexpr auto kMax32 = std::int64_t{std::numeric_limits<std::uint32_t>::max()};
  if (raw.segment_length < 0 || raw.segment_length > kMax32 || raw.block_size < 0 ||
      raw.block_size > kMax32) {
    return fail(0, "segment_length", "out of range");
  }
  row.geometry.segment_length = static_cast<std::uint32_t>(raw.segment_length);
  row.geometry.block_size = static_cast<std::uint32_t>(raw.block_size);
  if (!row.geometry.valid()) return fail(0, "segment_length", "impossible segment geometry");

  auto present = BlockBitmap::decode(raw.present, row.geometry.block_count());
  if (!present) return Unexpected(present.error());
  row.present = std::move(*present);
  if (raw.present_count != std::int64_t{row.present.count()}) {
    return fail(0, "present_count",
                "must be " + std::to_string(row.present.count()) + " (the bitmap's), got " +
                    std::to_string(raw.present_count));
  }
  // Every block but the last is block_size long (at most 32 MiB in all): the sum without a
  // walk over the blocks (this runs for every row a read or a peer looks up).
  const std::uint32_t blocks = row.present.blocks();
  std::uint64_t bytes = std::uint64_t{row.present.count()} * row.geometry.block_size;
  if (blocks > 0 && row.present.test(blocks - 1)) {
    bytes -= row.geometry.block_size - row.geometry.block_length(blocks - 1);
  }
  if (raw.bytes_present < 0 || static_cast<std::uint64_t>(raw.bytes_present) != bytes) {
    return fail(0, "bytes_present",
                "must be " + std::to_string(bytes) + " (the present blocks'), got " +
                    std::to_string(raw.bytes_present));
  }
  row.bytes_present = bytes;
  row.first_cached = std::chrono::sys_seconds{std::chrono::seconds{raw.first_cached}};
  row.last_used = std::chrono::sys_seconds{std::chrono::seconds{raw.last_used}};
  return row;
}

bool matches(const Row& row, const pccrc::SegmentDescriptor& d) noexcept {
  return row.segment_id == d.segment_id && row.geometry.version == d.scheme.version &&
         row.geometry.segment_length == d.segment_length && row.geometry.block_size == d.block_size;
}

}  // namespace peerdist::store::cache_record
