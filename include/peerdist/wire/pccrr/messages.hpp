// The eight MS-PCCRR messages (spec digest §1.5, §1.6) as plain values: one struct per message,
// each field named after its spec field in a comment, plus the header fields every message
// carries (ProtVer, CryptoAlgoId; MsgType is the struct, MsgSize is computed). codec.hpp turns
// them into bytes and back.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/wire/pccrr/limits.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"
#include "peerdist/wire/pccrr/protocol_version.hpp"
#include "peerdist/wire/pccrr/ranges.hpp"

namespace peerdist::wire::pccrr {

// Segment IDs (HoHoDk) are hashes of kMinSegmentIdSize..kMaxSegmentIdSize bytes.
using SegmentId = crypto::Digest;
using RequestId = std::array<std::uint8_t, kRequestIdSize>;
using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Requests (a client's HTTP POST body: MESSAGE_HEADER + body, no transport header)

// MSG_NEGO_REQ: "which versions do you speak?" The server answers MSG_NEGO_RESP.
struct MsgNegoReq {
  static constexpr MessageType kType = MessageType::nego_req;
  ProtocolVersion version = kVersion1;               // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::aes128;  // CryptoAlgoId (A4)
  ProtocolVersion min_supported = kVersion1;         // MinSupportedProtocolVersion
  ProtocolVersion max_supported = kVersion2;         // MaxSupportedProtocolVersion
  friend bool operator==(const MsgNegoReq&, const MsgNegoReq&) = default;
};

// MSG_GETBLKLIST: "which of these blocks of segment S do you hold?"
struct MsgGetBlkList {
  static constexpr MessageType kType = MessageType::getblklist;
  ProtocolVersion version = kVersion1;               // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::aes128;  // CryptoAlgoId (A4)
  SegmentId segment_id;                              // SizeOfSegmentID, SegmentID (HoHoDk)
  std::vector<BlockRange> needed_ranges;  // NeededBlocksRangeCount (1..256), NeededBlockRanges
  friend bool operator==(const MsgGetBlkList&, const MsgGetBlkList&) = default;
};

// MSG_GETBLKS: fetch blocks (in practice exactly one: one range of count 1).
struct MsgGetBlks {
  static constexpr MessageType kType = MessageType::getblks;
  ProtocolVersion version = kVersion1;               // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::aes128;  // CryptoAlgoId (A4)
  SegmentId segment_id;                              // SizeOfSegmentID, SegmentID (HoHoDk)
  std::vector<BlockRange> ranges;                    // ReqBlockRangeCount (1..256), ReqBlockRanges
  Bytes data_for_vrf_block;  // SizeOfDataForVrfBlock, DataForVrfBlock (unused: empty)
  friend bool operator==(const MsgGetBlks&, const MsgGetBlks&) = default;
};

// MSG_GETSEGLIST (v2, hosted-cache clients): "which of these segments do you hold?"
struct MsgGetSegList {
  static constexpr MessageType kType = MessageType::getseglist;
  ProtocolVersion version = kVersion2;               // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::aes128;  // CryptoAlgoId (A4)
  RequestId request_id{};                            // RequestID (opaque, A33)
  std::vector<SegmentId> segment_ids;  // CountOfSegmentIDs (>= 1), then per ID SizeOfSegmentID,
                                       // SegmentID
  // SizeOfExtensibleBlob, ExtensibleBlob: kept opaque (wire/pccrd decodes segment ages).
  Bytes extensible_blob;
  friend bool operator==(const MsgGetSegList&, const MsgGetSegList&) = default;
};

// ---------------------------------------------------------------------------------------------
// Responses (the HTTP 200 body: TRANSPORT_RESPONSE_HEADER + MESSAGE_HEADER + body)

// MSG_NEGO_RESP: the server's supported range; also the answer to any request of a major
// version the server does not speak.
struct MsgNegoResp {
  static constexpr MessageType kType = MessageType::nego_resp;
  ProtocolVersion version = kVersion1;             // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::none;  // CryptoAlgoId
  ProtocolVersion min_supported = kVersion1;       // MinSupportedProtocolVersion
  ProtocolVersion max_supported = kVersion2;       // MaxSupportedProtocolVersion
  friend bool operator==(const MsgNegoResp&, const MsgNegoResp&) = default;
};

// MSG_BLKLIST: the requested blocks the server holds.
struct MsgBlkList {
  static constexpr MessageType kType = MessageType::blklist;
  ProtocolVersion version = kVersion1;             // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::none;  // CryptoAlgoId
  SegmentId segment_id;                            // SizeOfSegmentId, SegmentId (echoed)
  std::vector<BlockRange> ranges;  // BlockRangeCount (0..256; 0 = none held, or busy),
                                   // BlockRanges
  // NextBlockIndex: a hint only (A11): the first held block past the last requested range,
  // else 0.
  pccrc::BlockIndex next_block_index;
  friend bool operator==(const MsgBlkList&, const MsgBlkList&) = default;
};

// MSG_BLK: one block, encrypted with the cipher CryptoAlgoId names.
//
// A view, for speed: block, vrf_block and iv point into the buffer the message was decoded
// from (or, to encode, into the caller's buffers), so a 64 KiB block is never copied by the
// codec. The message is valid only as long as those buffers are.
struct MsgBlk {
  static constexpr MessageType kType = MessageType::blk;
  ProtocolVersion version = kVersion1;             // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::none;  // CryptoAlgoId: the cipher of `block`
  SegmentId segment_id;                            // SizeOfSegmentId, SegmentId (echoed)
  pccrc::BlockIndex block_index;                   // BlockIndex
  // NextBlockIndex: the next block after this one the server holds, else 0 (V2: always 0).
  pccrc::BlockIndex next_block_index;
  // SizeOfBlock, Block: the ciphertext (plaintext if crypto is none). Empty = the server does
  // not hold the block (or is busy); clients look at nothing else (A30).
  std::span<const std::uint8_t> block;
  std::span<const std::uint8_t> vrf_block;  // SizeOfVrfBlock, VrfBlock (unused: empty)
  std::span<const std::uint8_t> iv;         // SizeOfIVBlock, IVBlock: 16 bytes for AES, else 0

  // Compares the bytes the spans view, not where they are.
  friend bool operator==(const MsgBlk& a, const MsgBlk& b) noexcept;
};

// MSG_SEGLIST (v2): which of the MSG_GETSEGLIST's segments the server holds, fully or partly.
struct MsgSegList {
  static constexpr MessageType kType = MessageType::seglist;
  ProtocolVersion version = kVersion2;             // ProtVer
  CryptoAlgorithm crypto = CryptoAlgorithm::none;  // CryptoAlgoId
  RequestId request_id{};                          // RequestID (copied from the request)
  std::vector<SegmentRange> ranges;                // SegmentRangeCount (0 = none held, or busy),
                                                   // SegmentRanges
  // SizeOfExtensibleBlob, ExtensibleBlob (segment ages; opaque here). Always sent, possibly
  // empty; a message that ends after SegmentRanges (the 2012 layout, A10) decodes as empty.
  Bytes extensible_blob;
  friend bool operator==(const MsgSegList&, const MsgSegList&) = default;
};

using Request = std::variant<MsgNegoReq, MsgGetBlkList, MsgGetBlks, MsgGetSegList>;
using Response = std::variant<MsgNegoResp, MsgBlkList, MsgBlk, MsgSegList>;

[[nodiscard]] MessageType type_of(const Request& request) noexcept;
[[nodiscard]] MessageType type_of(const Response& response) noexcept;

// The answer to a MSG_GETBLKS for a block the server does not hold (A30): SegmentId and
// BlockIndex from the request, NextBlockIndex 0, CryptoAlgoId none, no block, no IV.
[[nodiscard]] MsgBlk missing_block(const SegmentId& segment_id, pccrc::BlockIndex index);

}  // namespace peerdist::wire::pccrr
