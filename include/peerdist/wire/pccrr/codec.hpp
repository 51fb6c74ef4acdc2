// Bytes <-> messages for MS-PCCRR (spec digest §1.2-§1.6). No sockets: a request is the body of
// an HTTP POST (MESSAGE_HEADER + body), a response the body of the HTTP 200 answer
// (TRANSPORT_RESPONSE_HEADER + MESSAGE_HEADER + body).
//
// Every decoder validates every size, count and offset before it reads or allocates, requires
// MsgSize to equal the bytes present, accepts any value in ZeroPad bytes but requires their
// length, and rejects trailing bytes. Errors name the spec field ("MSG_BLK.SizeOfBlock") and
// its offset in the decoded buffer (for responses: counted from the transport header).
//
// Encoders write the canonical form (zero pads, SizeOfExtensibleBlob always present). They
// write whatever ProtVer the message holds (tests of version negotiation need unknown ones),
// and throw std::length_error on a message that breaks a limit of limits.hpp or a rule the
// decoder enforces (empty segment ID, range with count 0, range count out of bounds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"
#include "peerdist/wire/pccrr/messages.hpp"

namespace peerdist::wire::pccrr {

// The header alone, so that a server can answer MSG_NEGO_RESP to a request of a major version
// whose body it cannot parse. Checks what holds for every version: 16 bytes present, MsgType
// 0..7, CryptoAlgoId 0..3, MsgSize equal to message.size() and within the cap of its type's
// direction. `message` starts at MESSAGE_HEADER (strip a response's transport header first).
[[nodiscard]] Expected<MessageHeader, util::DecodeError> decode_header(
    std::span<const std::uint8_t> message);

// A request: MESSAGE_HEADER + body. Rejects response types, and major versions other than 1
// and 2 except in MSG_NEGO_REQ (negotiation must work across versions).
[[nodiscard]] std::vector<std::uint8_t> encode_request(const Request& request);
[[nodiscard]] Expected<Request, util::DecodeError> decode_request(
    std::span<const std::uint8_t> message);

// TRANSPORT_RESPONSE_HEADER.Size duplicates MsgSize. A server-side decoder (a hosted cache
// pulling blocks) requires Size == MsgSize; a client may ignore it as iPXE does (A6). MsgSize
// must equal the bytes after the transport header either way.
enum class TransportSizeCheck : std::uint8_t { strict, lenient };
struct ResponseDecodeOptions {
  TransportSizeCheck transport_size = TransportSizeCheck::strict;
};

// A response: TRANSPORT_RESPONSE_HEADER + MESSAGE_HEADER + body. Rejects request types, and
// major versions other than 1 and 2 except in MSG_NEGO_RESP. A decoded MsgBlk views `body`.
[[nodiscard]] std::vector<std::uint8_t> encode_response(const Response& response);
[[nodiscard]] Expected<Response, util::DecodeError> decode_response(
    std::span<const std::uint8_t> body, ResponseDecodeOptions options = {});

// MSG_BLK with room for its Block field, for a server that encrypts straight into the output:
// the whole response (transport header included) with block_size zero bytes at block().
struct BlkResponseBuffer {
  std::vector<std::uint8_t> bytes;
  std::size_t block_offset = 0;
  std::size_t block_size = 0;

  [[nodiscard]] std::span<std::uint8_t> block() noexcept {
    return std::span<std::uint8_t>(bytes).subspan(block_offset, block_size);
  }
};
// Encodes `message` as encode_response() would, except that message.block is ignored and
// block_size bytes are reserved in its place.
[[nodiscard]] BlkResponseBuffer encode_blk_response_with_room(const MsgBlk& message,
                                                              std::size_t block_size);

}  // namespace peerdist::wire::pccrr
