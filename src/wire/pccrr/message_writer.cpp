#include "message_writer.hpp"

#include <stdexcept>
#include <string>

#include "peerdist/util/checked.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

namespace peerdist::wire::pccrr::detail {
namespace {

constexpr std::size_t kMsgSizeOffset = 8;

void put_u32_at(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 24U);
  out[at + 1] = static_cast<std::uint8_t>(v >> 16U);
  out[at + 2] = static_cast<std::uint8_t>(v >> 8U);
  out[at + 3] = static_cast<std::uint8_t>(v);
}

bool range_ok(std::uint32_t index, std::uint32_t count) {
  return count >= 1 && util::checked_add(index, count - 1).has_value();
}

}  // namespace

void MessageWriter::require(bool ok, const char* what) {
  if (!ok) throw std::length_error(std::string("MS-PCCRR encode: ") + what);
}

MessageWriter::MessageWriter(Framing framing, std::size_t reserve) : framing_(framing) {
  out_.reserve(reserve);
  if (framing_ == Framing::response) {
    // TRANSPORT_RESPONSE_HEADER.Size, filled in by finish().
    out_.resize(kTransportHeaderSize);
    start_ = kTransportHeaderSize;
  }
}

void MessageWriter::header(ProtocolVersion version, MessageType type, CryptoAlgorithm crypto) {
  u32(version.to_wire());                   // ProtVer
  u32(static_cast<std::uint32_t>(type));    // MsgType
  u32(0);                                   // MsgSize, filled in by finish()
  u32(static_cast<std::uint32_t>(crypto));  // CryptoAlgoId
}

void MessageWriter::u32(std::uint32_t v) {
  const std::size_t at = out_.size();
  out_.resize(at + 4);
  put_u32_at(out_, at, v);
}

void MessageWriter::bytes(std::span<const std::uint8_t> b) {
  out_.insert(out_.end(), b.begin(), b.end());
}

std::size_t MessageWriter::zeros(std::size_t n) {
  const std::size_t at = out_.size();
  out_.resize(at + n);
  return at;
}

void MessageWriter::zero_pad() {
  const std::size_t misalignment = message_offset() % 4;
  if (misalignment != 0) zeros(4 - misalignment);
}

void MessageWriter::sized_bytes(std::span<const std::uint8_t> b) {
  require(b.size() <= kMaxResponseSize, "byte field larger than any message");
  u32(static_cast<std::uint32_t>(b.size()));
  bytes(b);
}

void MessageWriter::segment_id(const SegmentId& id) {
  require(id.size() >= kMinSegmentIdSize && id.size() <= kMaxSegmentIdSize,
          "segment ID must be 1..64 bytes");
  sized_bytes(id.bytes());
}

void MessageWriter::block_ranges(const std::vector<BlockRange>& ranges, std::uint32_t min,
                                 std::uint32_t max) {
  require(ranges.size() >= min && ranges.size() <= max, "block range count out of bounds");
  u32(static_cast<std::uint32_t>(ranges.size()));
  for (const BlockRange& r : ranges) {
    require(range_ok(r.index.value(), r.count), "block range with count 0 or past 2^32");
    u32(r.index.value());  // Index
    u32(r.count);          // Count
  }
}

void MessageWriter::segment_ranges(const std::vector<SegmentRange>& ranges, std::uint32_t max) {
  require(ranges.size() <= max, "segment range count out of bounds");
  u32(static_cast<std::uint32_t>(ranges.size()));
  for (const SegmentRange& r : ranges) {
    require(range_ok(r.first, r.count), "segment range with count 0 or past 2^32");
    u32(r.first);  // Index
    u32(r.count);  // Count
  }
}

std::vector<std::uint8_t> MessageWriter::finish() && {
  const std::size_t size = out_.size() - start_;
  const std::uint32_t cap = framing_ == Framing::request ? kMaxRequestSize : kMaxResponseSize;
  require(size <= cap, "message larger than MsgSize allows");
  const auto msg_size = static_cast<std::uint32_t>(size);
  put_u32_at(out_, start_ + kMsgSizeOffset, msg_size);  // MsgSize
  if (framing_ == Framing::response)
    put_u32_at(out_, 0, msg_size);  // TRANSPORT_RESPONSE_HEADER.Size
  return std::move(out_);
}

}  // namespace peerdist::wire::pccrr::detail
