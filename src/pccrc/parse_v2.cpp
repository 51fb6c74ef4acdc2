// Content information V2 (all big-endian): layout spec digest §4, range fields §7, validation
// rules §8 V2.1-5.
#include <algorithm>

#include "peerdist/pccrc/constants.hpp"
#include "peerdist/util/checked.hpp"

#include "parse_detail.hpp"

namespace peerdist::pccrc::detail {
namespace {

using util::ByteReader;
using util::DecodeError;

constexpr std::size_t kBHashAlgoOffset = 2;
constexpr std::size_t kUllIndexOfFirstSegmentOffset = 11;
constexpr std::size_t kDwOffsetInFirstSegmentOffset = 19;
constexpr std::size_t kUllLengthOfRangeOffset = 23;

struct Header {
  std::uint64_t start_in_content;         // ullStartInContent
  std::uint64_t index_of_first_segment;   // ullIndexOfFirstSegment
  std::uint32_t offset_in_first_segment;  // dwOffsetInFirstSegment
  std::uint64_t length_of_range;          // ullLengthOfRange
};

Expected<Header, DecodeError> read_header(ByteReader& r) {
  if (auto minor = r.u8("bMinorVersion"); !minor) return Unexpected(minor.error());
  if (auto major = r.u8("bMajorVersion"); !major) return Unexpected(major.error());
  auto algo = r.u8("bHashAlgo");
  if (!algo) return Unexpected(algo.error());
  if (*algo != kV2HashAlgoSha512Trunc) {
    return fail(kBHashAlgoOffset, "bHashAlgo",
                "must be 4 (truncated SHA-512), got " + std::to_string(*algo));
  }
  auto start = r.u64be("ullStartInContent");
  if (!start) return Unexpected(start.error());
  auto index = r.u64be("ullIndexOfFirstSegment");
  if (!index) return Unexpected(index.error());
  auto offset_in_first = r.u32be("dwOffsetInFirstSegment");
  if (!offset_in_first) return Unexpected(offset_in_first.error());
  auto length_of_range = r.u64be("ullLengthOfRange");
  if (!length_of_range) return Unexpected(length_of_range.error());
  return Header{*start, *index, *offset_in_first, *length_of_range};
}

// Appends the segments of one ChunkDescription (rules 2, 3, 5). `next_offset` is where the next
// segment starts in the content; segment offsets are implicit in V2.
Expected<std::uint32_t, DecodeError> read_chunk(ByteReader& r, std::size_t k, const Header& h,
                                                std::uint64_t& next_offset,
                                                std::vector<Segment>& segments) {
  const std::size_t type_at = r.offset();
  auto type = r.u8("bChunkType");
  if (!type) return Unexpected(with_position(type.error(), "chunk", k));
  if (*type != kV2ChunkType) {
    return fail(type_at, positional("chunk", k, "bChunkType"),
                "must be 0, got " + std::to_string(*type));
  }
  const std::size_t length_at = r.offset();
  auto length = r.u32be("dwChunkDataLength");
  if (!length) return Unexpected(with_position(length.error(), "chunk", k));
  if (*length == 0 || *length % kV2SegmentDescriptionSize != 0) {
    return fail(length_at, positional("chunk", k, "dwChunkDataLength"),
                "must be a non-zero multiple of 68, got " + std::to_string(*length));
  }
  if (*length > r.remaining()) {
    return fail(length_at, positional("chunk", k, "dwChunkDataLength"),
                std::to_string(*length) + " bytes of segment descriptions, only " +
                    std::to_string(r.remaining()) + " left");
  }
  const auto count = static_cast<std::uint32_t>(*length / kV2SegmentDescriptionSize);
  // The count is backed by bytes in the buffer. Grow geometrically: reserving exactly per chunk
  // would copy the list once per chunk, quadratic for a CI of many one-segment chunks.
  if (segments.capacity() - segments.size() < count) {
    segments.reserve(std::max(segments.size() * 2, segments.size() + count));
  }
  for (std::uint32_t j = 0; j < count; ++j) {
    const std::size_t i = segments.size();
    const std::size_t length_field_at = r.offset();
    auto cb = r.u32be("cbSegment");
    if (!cb) return Unexpected(with_position(cb.error(), "segment", i));
    auto hod = r.bytes(kV2HashSize, "SegmentHashOfData");
    if (!hod) return Unexpected(with_position(hod.error(), "segment", i));
    auto kp = r.bytes(kV2HashSize, "SegmentSecret");
    if (!kp) return Unexpected(with_position(kp.error(), "segment", i));
    if (*cb == 0 || *cb > kV2MaxSegmentSize) {
      return fail(length_field_at, positional("segment", i, "cbSegment"),
                  "must be 1..131072, got " + std::to_string(*cb));
    }
    const auto end = util::checked_add<std::uint64_t>(next_offset, *cb);
    if (!end) {
      return fail(length_field_at, positional("segment", i, "cbSegment"),
                  "ullStartInContent + the segment lengths overflows 64 bits");
    }
    const auto index = util::checked_add<std::uint64_t>(h.index_of_first_segment, i);
    if (!index) {
      return fail(kUllIndexOfFirstSegmentOffset, "ullIndexOfFirstSegment",
                  "the index of segment " + std::to_string(i) + " overflows 64 bits");
    }
    segments.push_back(Segment{SegmentIndex{*index},
                               next_offset,
                               *cb,
                               crypto::Digest(*hod),
                               crypto::Digest(*kp),
                               {},
                               BlockIndex{0}});
    next_offset = *end;
  }
  return count;
}

// Rule 4 and the range reading of §7.
Expected<ByteRange, DecodeError> content_range(const Header& h,
                                               const std::vector<Segment>& segments) {
  const Segment& first = segments.front();
  const Segment& last = segments.back();
  if (h.offset_in_first_segment >= first.length) {
    return fail(kDwOffsetInFirstSegmentOffset, "dwOffsetInFirstSegment",
                "must be less than the first segment's cbSegment " + std::to_string(first.length) +
                    ", got " + std::to_string(h.offset_in_first_segment));
  }
  ByteRange range;
  // Cannot overflow: it lies inside the first segment, whose end was checked.
  range.start = first.offset + h.offset_in_first_segment;
  if (h.length_of_range == 0) {  // the whole of the listed segments
    range.end = last.end();
    return range;
  }
  const auto end = util::checked_add(range.start, h.length_of_range);
  if (!end || *end <= last.offset || *end > last.end()) {
    return fail(kUllLengthOfRangeOffset, "ullLengthOfRange",
                "the range must end inside the last listed segment [" +
                    std::to_string(last.offset) + ", " + std::to_string(last.end()) +
                    "), got length " + std::to_string(h.length_of_range) + " from " +
                    std::to_string(range.start));
  }
  range.end = *end;
  return range;
}

}  // namespace

Expected<ContentInformation, DecodeError> parse_v2(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  auto header = read_header(r);
  if (!header) return Unexpected(header.error());

  ContentInformation ci;
  ci.scheme = HashScheme::v2();
  ci.v2.length_of_range = header->length_of_range;
  // There is no chunk count: chunks run to the end of the buffer, and there must be at least
  // one (an empty list fails reading chunk[0].bChunkType). A trailing fragment shorter than a
  // chunk header fails the same way, so no separate trailing-bytes check is needed.
  std::uint64_t next_offset = header->start_in_content;
  std::vector<std::uint32_t> segments_per_chunk;
  for (std::size_t k = 0; k == 0 || !r.at_end(); ++k) {
    auto count = read_chunk(r, k, *header, next_offset, ci.segments);
    if (!count) return Unexpected(count.error());
    segments_per_chunk.push_back(*count);
  }
  // The model spells "one chunk" as an empty list (what encode() and the builder use).
  if (segments_per_chunk.size() > 1) ci.v2.segments_per_chunk = std::move(segments_per_chunk);

  auto range = content_range(*header, ci.segments);
  if (!range) return Unexpected(range.error());
  ci.range = *range;
  return ci;
}

}  // namespace peerdist::pccrc::detail
