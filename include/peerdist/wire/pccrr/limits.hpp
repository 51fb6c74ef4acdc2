// Sizes and caps of MS-PCCRR messages (spec digest §1.2-§1.6, A5, A35). The decoders enforce
// every one of them; the encoders throw std::length_error on a message that breaks one, so
// whoever builds messages from outside data checks against these first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace peerdist::wire::pccrr {

// MESSAGE_HEADER: ProtVer, MsgType, MsgSize, CryptoAlgoId.
inline constexpr std::size_t kMessageHeaderSize = 16;
// TRANSPORT_RESPONSE_HEADER: Size, in front of every response (never of a request).
inline constexpr std::size_t kTransportHeaderSize = 4;

// MsgSize caps (A5): 96 KiB for requests, 384 KiB for responses. Responses need the larger
// cap for V2, whose MSG_BLK carries a whole segment of up to 128 KiB (plus padding).
inline constexpr std::uint32_t kMaxRequestSize = 98'304;
inline constexpr std::uint32_t kMaxResponseSize = 393'216;

// SizeOfSegmentID: any hash up to SHA-512 is accepted (A35); we only ever generate 32-byte IDs
// (SHA-256 V1, truncated SHA-512 V2), the only size Windows accepts.
inline constexpr std::uint32_t kMinSegmentIdSize = 1;
inline constexpr std::uint32_t kMaxSegmentIdSize = 64;
inline constexpr std::uint32_t kGeneratedSegmentIdSize = 32;

// BLOCK_RANGE_ARRAY counts: the 512 blocks of a V1 segment form at most 256 disjoint,
// non-adjacent ranges, so no correct peer sends more (spec digest §1.2).
inline constexpr std::uint32_t kMaxBlockRanges = 256;
inline constexpr std::size_t kBlockRangeSize = 8;

// MSG_GETSEGLIST.RequestID: 16 opaque bytes, echoed in MSG_SEGLIST (A33).
inline constexpr std::size_t kRequestIdSize = 16;

// CountOfSegmentIDs: bounded by the request cap. A GETSEGLIST has 40 fixed bytes (header,
// RequestID, CountOfSegmentIDs, SizeOfExtensibleBlob) and each ID takes at least 8 (its size,
// one byte, three pad bytes).
inline constexpr std::size_t kGetSegListFixedSize = kMessageHeaderSize + kRequestIdSize + 4 + 4;
inline constexpr std::size_t kMinSegmentIdEntrySize = 8;
inline constexpr std::uint32_t kMaxSegmentIds =
    (kMaxRequestSize - kGetSegListFixedSize) / kMinSegmentIdEntrySize;
// SegmentRangeCount: each range names at least one ID of the request, and no correct server
// lists an ID twice.
inline constexpr std::uint32_t kMaxSegmentRanges = kMaxSegmentIds;

}  // namespace peerdist::wire::pccrr
