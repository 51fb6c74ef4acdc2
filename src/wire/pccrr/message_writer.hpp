// Internal to the codec: the writer every message body's encoder is written with. It writes
// MESSAGE_HEADER with a placeholder MsgSize (and, for responses, TRANSPORT_RESPONSE_HEADER)
// and fills both sizes in finish().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "peerdist/wire/pccrr/messages.hpp"

#include "framing.hpp"

namespace peerdist::wire::pccrr::detail {

class MessageWriter {
 public:
  // reserve: the expected total, so a 64 KiB block is written without reallocating.
  MessageWriter(Framing framing, std::size_t reserve);

  // ProtVer, MsgType, MsgSize (written by finish()), CryptoAlgoId.
  // Bytes written so far (from the start of the output, transport header included).
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

  void header(ProtocolVersion version, MessageType type, CryptoAlgorithm crypto);
  void u32(std::uint32_t v);
  void bytes(std::span<const std::uint8_t> b);
  // n zero bytes; returns where they start.
  std::size_t zeros(std::size_t n);
  // ZeroPad: zeros up to the next multiple of 4 from the message start.
  void zero_pad();
  // A u32 byte count (the Size field), then the bytes.
  void sized_bytes(std::span<const std::uint8_t> b);
  // SizeOfSegmentID, SegmentID; throws std::length_error for an empty ID.
  void segment_id(const SegmentId& id);
  // A range count in [min, max], then the ranges; throws std::length_error for a count outside
  // it or a range the decoder would reject.
  void block_ranges(const std::vector<BlockRange>& ranges, std::uint32_t min, std::uint32_t max);
  void segment_ranges(const std::vector<SegmentRange>& ranges, std::uint32_t max);

  // Fills in MsgSize (and the transport Size) and returns the bytes; throws std::length_error if
  // the message is larger than its direction's cap.
  [[nodiscard]] std::vector<std::uint8_t> finish() &&;

  // Throws std::length_error unless `ok`: the message breaks a rule the decoder enforces.
  static void require(bool ok, const char* what);

 private:
  [[nodiscard]] std::size_t message_offset() const noexcept { return out_.size() - start_; }

  std::vector<std::uint8_t> out_;
  Framing framing_;
  std::size_t start_ = 0;  // where MESSAGE_HEADER starts in out_
};

}  // namespace peerdist::wire::pccrr::detail
