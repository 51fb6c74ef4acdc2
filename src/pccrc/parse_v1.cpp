// Content information V1 (all little-endian): layout spec digest §3, range fields §7, validation
// rules §8 V1.1-7.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/util/checked.hpp"

#include "parse_detail.hpp"

namespace peerdist::pccrc::detail {
namespace {

using util::ByteReader;
using util::DecodeError;

// ullOffsetInContent + cbSegment + cbBlockSize, before the two hashes.
constexpr std::size_t kDescriptionFixedSize = 16;
constexpr std::size_t kDwHashAlgoOffset = 2;
constexpr std::size_t kDwOffsetInFirstSegmentOffset = 6;
constexpr std::size_t kDwReadBytesInLastSegmentOffset = 10;

std::optional<crypto::HashAlgorithm> hash_algorithm(std::uint32_t dw_hash_algo) {
  switch (dw_hash_algo) {
    case kCalgSha256: return crypto::HashAlgorithm::sha256;
    case kCalgSha384: return crypto::HashAlgorithm::sha384;
    case kCalgSha512: return crypto::HashAlgorithm::sha512;
    default: return std::nullopt;
  }
}

std::string hex32(std::uint32_t v) {
  char out[16];
  std::snprintf(out, sizeof out, "0x%08X", v);
  return out;
}

std::string seg_field(std::size_t i, std::string_view field) {
  return positional("segment", i, field);
}

struct Header {
  crypto::HashAlgorithm algorithm;
  std::uint32_t offset_in_first_segment;     // dwOffsetInFirstSegment
  std::uint32_t read_bytes_in_last_segment;  // dwReadBytesInLastSegment
  std::uint32_t segment_count;               // cSegments
};

Expected<Header, DecodeError> read_header(ByteReader& r) {
  if (auto version = r.u16le("Version"); !version) return Unexpected(version.error());
  auto algo = r.u32le("dwHashAlgo");
  if (!algo) return Unexpected(algo.error());
  const auto algorithm = hash_algorithm(*algo);
  if (!algorithm) {
    return fail(kDwHashAlgoOffset, "dwHashAlgo",
                "must be 0x0000800C, 0x0000800D or 0x0000800E, got " + hex32(*algo));
  }
  auto offset_in_first = r.u32le("dwOffsetInFirstSegment");
  if (!offset_in_first) return Unexpected(offset_in_first.error());
  auto read_in_last = r.u32le("dwReadBytesInLastSegment");
  if (!read_in_last) return Unexpected(read_in_last.error());
  const std::size_t count_at = r.offset();
  auto count = r.u32le("cSegments");
  if (!count) return Unexpected(count.error());
  if (*count == 0) return fail(count_at, "cSegments", "must be at least 1");

  // Rule 2: every description must fit before any is read (and before reserving for them).
  const std::uint64_t description_size =
      kDescriptionFixedSize + 2 * crypto::digest_size(*algorithm);
  const auto needed = util::checked_mul<std::uint64_t>(*count, description_size);
  if (!needed || *needed > r.remaining()) {
    return fail(count_at, "cSegments",
                std::to_string(*count) + " segment descriptions need " +
                    (needed ? std::to_string(*needed) : std::string("more than 2^64")) +
                    " bytes, only " + std::to_string(r.remaining()) + " left");
  }
  return Header{*algorithm, *offset_in_first, *read_in_last, *count};
}

// One SegmentDescription, rules 3 and 4. `previous_end` is where the previous listed segment
// ends (contiguity), absent for the first.
Expected<Segment, DecodeError> read_description(ByteReader& r, std::size_t i, std::size_t count,
                                                std::size_t hash_size,
                                                std::optional<std::uint64_t> previous_end) {
  const std::size_t offset_at = r.offset();
  auto offset = r.u64le("ullOffsetInContent");
  if (!offset) return Unexpected(with_position(offset.error(), "segment", i));
  const std::size_t length_at = r.offset();
  auto length = r.u32le("cbSegment");
  if (!length) return Unexpected(with_position(length.error(), "segment", i));
  const std::size_t block_size_at = r.offset();
  auto block_size = r.u32le("cbBlockSize");
  if (!block_size) return Unexpected(with_position(block_size.error(), "segment", i));
  auto hod = r.bytes(hash_size, "SegmentHashOfData");
  if (!hod) return Unexpected(with_position(hod.error(), "segment", i));
  auto kp = r.bytes(hash_size, "SegmentSecret");
  if (!kp) return Unexpected(with_position(kp.error(), "segment", i));

  if (*offset % kV1SegmentSize != 0) {
    return fail(offset_at, seg_field(i, "ullOffsetInContent"),
                "must be a multiple of 33554432, got " + std::to_string(*offset));
  }
  if (previous_end && *offset != *previous_end) {
    return fail(offset_at, seg_field(i, "ullOffsetInContent"),
                "must be " + std::to_string(*previous_end) +
                    " (where the previous segment ends), got " + std::to_string(*offset));
  }
  if (*length == 0 || *length > kV1SegmentSize) {
    return fail(length_at, seg_field(i, "cbSegment"),
                "must be 1..33554432, got " + std::to_string(*length));
  }
  if (i + 1 < count && *length != kV1SegmentSize) {
    return fail(length_at, seg_field(i, "cbSegment"),
                "only the last listed segment may be shorter than 33554432, got " +
                    std::to_string(*length));
  }
  if (!util::checked_add<std::uint64_t>(*offset, *length)) {
    return fail(offset_at, seg_field(i, "ullOffsetInContent"),
                "segment end (ullOffsetInContent + cbSegment) overflows 64 bits");
  }
  if (*block_size != kV1BlockSize) {
    return fail(block_size_at, seg_field(i, "cbBlockSize"),
                "must be 65536, got " + std::to_string(*block_size));
  }
  return Segment{SegmentIndex{*offset / kV1SegmentSize},
                 *offset,
                 *length,
                 crypto::Digest(*hod),
                 crypto::Digest(*kp),
                 {},
                 BlockIndex{0}};
}

// Rule 5 and the dwReadBytesInLastSegment reading of §7 (with its three spellings of "to the end
// of the last segment": 0, cbSegment, and for one segment cbSegment - dwOffsetInFirstSegment).
Expected<ByteRange, DecodeError> content_range(const Header& h,
                                               const std::vector<Segment>& segments) {
  const Segment& first = segments.front();
  const Segment& last = segments.back();
  if (h.offset_in_first_segment >= first.length) {
    return fail(kDwOffsetInFirstSegmentOffset, "dwOffsetInFirstSegment",
                "must be less than the first segment's cbSegment " + std::to_string(first.length) +
                    ", got " + std::to_string(h.offset_in_first_segment));
  }
  const std::uint32_t read = h.read_bytes_in_last_segment;
  if (read > last.length) {
    return fail(kDwReadBytesInLastSegmentOffset, "dwReadBytesInLastSegment",
                "must be at most the last segment's cbSegment " + std::to_string(last.length) +
                    ", got " + std::to_string(read));
  }
  if (segments.size() == 1 && read != 0 &&
      std::uint64_t{h.offset_in_first_segment} + read > first.length) {
    return fail(kDwReadBytesInLastSegmentOffset, "dwReadBytesInLastSegment",
                "dwOffsetInFirstSegment + dwReadBytesInLastSegment must be at most cbSegment " +
                    std::to_string(first.length) + ", got " +
                    std::to_string(std::uint64_t{h.offset_in_first_segment} + read));
  }
  // No overflow below: every segment end was checked, and each sum stays within one segment.
  // end > start follows from the checks above (dwOffsetInFirstSegment < cbSegment, and a
  // non-zero count of read bytes), so the range is never empty.
  ByteRange range;
  range.start = first.offset + h.offset_in_first_segment;
  if (read == 0) {
    range.end = last.end();
  } else if (segments.size() == 1) {
    range.end = range.start + read;
  } else {
    range.end = last.offset + read;
  }
  return range;
}

// Which block a listed segment's list starts at, from its cBlocks (§7: either from block 0 or
// from the first block intersecting the range; both end at the last intersecting block, and
// a segment inside the range lists all its blocks either way).
Expected<BlockIndex, DecodeError> first_listed_block(const Segment& s, ByteRange range,
                                                     std::uint32_t listed, std::size_t i,
                                                     std::size_t listed_at) {
  const std::uint32_t in_segment = v1_blocks_in_segment(s.length);
  if (listed == 0) return fail(listed_at, seg_field(i, "cBlocks"), "must be at least 1");
  if (listed > in_segment) {
    return fail(listed_at, seg_field(i, "cBlocks"),
                "the segment has only " + std::to_string(in_segment) + " blocks, got " +
                    std::to_string(listed));
  }
  // The segment intersects the range (the range starts in the first and ends in the last listed
  // segment, and they are contiguous), so lo < hi.
  const std::uint64_t lo = std::max(range.start, s.offset) - s.offset;
  const std::uint64_t hi = std::min(range.end, s.end()) - s.offset;
  const auto first = static_cast<std::uint32_t>(lo / kV1BlockSize);
  const auto last = static_cast<std::uint32_t>((hi - 1) / kV1BlockSize);
  if (listed == last + 1) return BlockIndex{0};
  if (listed == last - first + 1) return BlockIndex{first};
  std::string expected = std::to_string(last + 1) + " (blocks 0.." + std::to_string(last) + ")";
  if (first != 0) {
    expected += " or " + std::to_string(last - first + 1) + " (blocks " + std::to_string(first) +
                ".." + std::to_string(last) + ")";
  }
  return fail(listed_at, seg_field(i, "cBlocks"),
              "must be " + expected + " for the range, got " + std::to_string(listed));
}

// One SegmentContentBlocks, rules 6 and 7. `hod_at` is where the segment's HoD is.
Expected<void, DecodeError> read_block_list(ByteReader& r, Segment& s, ByteRange range,
                                            crypto::HashAlgorithm algorithm, std::size_t i,
                                            std::size_t hod_at) {
  const std::size_t hash_size = crypto::digest_size(algorithm);
  const std::size_t listed_at = r.offset();
  auto listed = r.u32le("cBlocks");
  if (!listed) return Unexpected(with_position(listed.error(), "segment", i));
  auto first = first_listed_block(s, range, *listed, i, listed_at);
  if (!first) return Unexpected(first.error());
  // cBlocks <= 512 here, so the product is small; the read checks it fits before we reserve.
  auto hashes = r.bytes(std::size_t{*listed} * hash_size, "BlockHashes");
  if (!hashes) return Unexpected(with_position(hashes.error(), "segment", i));

  s.first_listed_block = *first;
  s.block_hashes.reserve(*listed);
  for (std::size_t at = 0; at < hashes->size(); at += hash_size) {
    s.block_hashes.emplace_back(hashes->subspan(at, hash_size));
  }
  // Rule 7: a complete list must hash to HoD (HoD covers all blocks, so a partial list cannot
  // be checked here; its blocks are checked one by one when they arrive).
  if (first->value() == 0 && *listed == v1_blocks_in_segment(s.length)) {
    if (crypto::hash(algorithm, *hashes) != s.hod) {
      return fail(hod_at, seg_field(i, "SegmentHashOfData"),
                  "does not match the hash of the segment's block hashes");
    }
  }
  return {};
}

}  // namespace

Expected<ContentInformation, DecodeError> parse_v1(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  auto header = read_header(r);
  if (!header) return Unexpected(header.error());
  const std::size_t hash_size = crypto::digest_size(header->algorithm);
  const std::size_t description_size = kDescriptionFixedSize + 2 * hash_size;

  ContentInformation ci;
  ci.scheme = HashScheme{Version::v1, header->algorithm};
  ci.v1.read_bytes_in_last_segment = header->read_bytes_in_last_segment;
  // read_header checked that this many descriptions fit in the buffer.
  ci.segments.reserve(header->segment_count);
  std::optional<std::uint64_t> previous_end;
  for (std::size_t i = 0; i < header->segment_count; ++i) {
    auto segment = read_description(r, i, header->segment_count, hash_size, previous_end);
    if (!segment) return Unexpected(segment.error());
    previous_end = segment->end();
    ci.segments.push_back(std::move(*segment));
  }

  auto range = content_range(*header, ci.segments);
  if (!range) return Unexpected(range.error());
  ci.range = *range;

  for (std::size_t i = 0; i < ci.segments.size(); ++i) {
    const std::size_t hod_at = kV1HeaderSize + i * description_size + kDescriptionFixedSize;
    auto list = read_block_list(r, ci.segments[i], ci.range, header->algorithm, i, hod_at);
    if (!list) return Unexpected(list.error());
  }
  if (auto end = r.expect_end("end of content information"); !end) {
    return Unexpected(end.error());
  }
  return ci;
}

}  // namespace peerdist::pccrc::detail
