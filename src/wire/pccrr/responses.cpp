// The response messages (spec digest §1.6): for each, its body's encoder (put) and decoder
// (get) side by side, field by field in wire order. TRANSPORT_RESPONSE_HEADER and
// MESSAGE_HEADER are written and read around them by encode_response() / decode_response() at
// the end of the file.
#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/wire/pccrr/codec.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

#include "header_check.hpp"
#include "message_reader.hpp"
#include "message_writer.hpp"

namespace peerdist::wire::pccrr {
namespace {

using detail::Framing;
using detail::MessageReader;
using detail::MessageWriter;

// --- MSG_NEGO_RESP ---------------------------------------------------------------------------

void put(MessageWriter& w, const MsgNegoResp& m) {
  w.u32(m.min_supported.to_wire());  // MinSupportedProtocolVersion
  w.u32(m.max_supported.to_wire());  // MaxSupportedProtocolVersion
}
void get(MessageReader& r, MsgNegoResp& m) {
  m.min_supported = ProtocolVersion::from_wire(r.u32("MinSupportedProtocolVersion"));
  m.max_supported = ProtocolVersion::from_wire(r.u32("MaxSupportedProtocolVersion"));
}

// --- MSG_BLKLIST -----------------------------------------------------------------------------

void put(MessageWriter& w, const MsgBlkList& m) {
  w.segment_id(m.segment_id);                    // SizeOfSegmentId, SegmentId
  w.zero_pad();                                  // ZeroPad
  w.block_ranges(m.ranges, 0, kMaxBlockRanges);  // BlockRangeCount, BlockRanges
  w.u32(m.next_block_index.value());             // NextBlockIndex
}
void get(MessageReader& r, MsgBlkList& m) {
  m.segment_id = r.segment_id("SizeOfSegmentId", "SegmentId");
  r.zero_pad("ZeroPad");
  const std::uint32_t n = r.count("BlockRangeCount", 0, kMaxBlockRanges, kBlockRangeSize);
  m.ranges = r.block_ranges(n, "BlockRanges");
  m.next_block_index = pccrc::BlockIndex(r.u32("NextBlockIndex"));
}

// --- MSG_BLK ---------------------------------------------------------------------------------

// Block is m.block, or `room` zero bytes for the caller to fill; returns where Block starts.
std::size_t put(MessageWriter& w, const MsgBlk& m, std::optional<std::size_t> room = {}) {
  w.segment_id(m.segment_id);         // SizeOfSegmentId, SegmentId
  w.zero_pad();                       // ZeroPad
  w.u32(m.block_index.value());       // BlockIndex
  w.u32(m.next_block_index.value());  // NextBlockIndex
  const std::size_t block_size = room.value_or(m.block.size());
  MessageWriter::require(block_size <= kMaxResponseSize,
                         "MSG_BLK block larger than MsgSize allows");
  w.u32(static_cast<std::uint32_t>(block_size));  // SizeOfBlock
  const std::size_t block_at = w.size();
  if (room) {
    (void)w.zeros(*room);  // Block, written by the caller
  } else {
    w.bytes(m.block);  // Block
  }
  w.zero_pad();                // ZeroPad_2
  w.sized_bytes(m.vrf_block);  // SizeOfVrfBlock, VrfBlock
  w.zero_pad();                // ZeroPad_3
  w.sized_bytes(m.iv);         // SizeOfIVBlock, IVBlock
  return block_at;
}
void get(MessageReader& r, MsgBlk& m) {
  m.segment_id = r.segment_id("SizeOfSegmentId", "SegmentId");
  r.zero_pad("ZeroPad");
  m.block_index = pccrc::BlockIndex(r.u32("BlockIndex"));
  m.next_block_index = pccrc::BlockIndex(r.u32("NextBlockIndex"));
  m.block = r.sized_bytes("SizeOfBlock", "Block");  // a view: the block is not copied
  r.zero_pad("ZeroPad_2");
  m.vrf_block = r.sized_bytes("SizeOfVrfBlock", "VrfBlock");
  r.zero_pad("ZeroPad_3");
  m.iv = r.sized_bytes("SizeOfIVBlock", "IVBlock");
}

// The most MSG_BLK can take besides its three byte fields: transport header, MESSAGE_HEADER,
// the largest segment ID and its pad, three u32s, two pads and two sizes.
constexpr std::size_t kBlkOverhead =
    kTransportHeaderSize + kMessageHeaderSize + 4 + kMaxSegmentIdSize + 3 + 12 + 3 + 4 + 3 + 4;

// --- MSG_SEGLIST -----------------------------------------------------------------------------

void put(MessageWriter& w, const MsgSegList& m) {
  w.bytes(m.request_id);                          // RequestID
  w.segment_ranges(m.ranges, kMaxSegmentRanges);  // SegmentRangeCount, SegmentRanges
  w.sized_bytes(m.extensible_blob);               // SizeOfExtensibleBlob, ExtensibleBlob
}
void get(MessageReader& r, MsgSegList& m) {
  const auto request_id = r.bytes(kRequestIdSize, "RequestID");
  std::copy(request_id.begin(), request_id.end(), m.request_id.begin());
  const std::uint32_t n = r.count("SegmentRangeCount", 0, kMaxSegmentRanges, kBlockRangeSize);
  m.ranges = r.segment_ranges(n, "SegmentRanges");
  // A10: the 2012 layout ends here; the current one always has SizeOfExtensibleBlob.
  if (r.at_end()) return;
  const auto blob = r.sized_bytes("SizeOfExtensibleBlob", "ExtensibleBlob");
  m.extensible_blob.assign(blob.begin(), blob.end());
}

std::size_t reserve_for(const Response& response) {
  if (const auto* blk = std::get_if<MsgBlk>(&response)) {
    return kBlkOverhead + blk->block.size() + blk->vrf_block.size() + blk->iv.size();
  }
  return 256;
}

util::DecodeError shifted(util::DecodeError error, std::size_t by) {
  error.offset += by;
  return error;
}

}  // namespace

std::vector<std::uint8_t> encode_response(const Response& response) {
  return std::visit(
      [&](const auto& m) {
        MessageWriter w(Framing::response, reserve_for(response));
        w.header(m.version, m.kType, m.crypto);
        put(w, m);
        return std::move(w).finish();
      },
      response);
}

BlkResponseBuffer encode_blk_response_with_room(const MsgBlk& message, std::size_t block_size) {
  MessageWriter w(Framing::response,
                  kBlkOverhead + block_size + message.vrf_block.size() + message.iv.size());
  w.header(message.version, MsgBlk::kType, message.crypto);
  const std::size_t block_at = put(w, message, block_size);
  return BlkResponseBuffer{std::move(w).finish(), block_at, block_size};
}

Expected<Response, util::DecodeError> decode_response(std::span<const std::uint8_t> body,
                                                      ResponseDecodeOptions options) {
  util::ByteReader transport(body);
  auto size = transport.u32be("TRANSPORT_RESPONSE_HEADER.Size");
  if (!size) return Unexpected(std::move(size).error());
  const auto message = body.subspan(kTransportHeaderSize);

  // Offsets in errors count from the start of `body`; the message's own fields (and their
  // alignment) count from MESSAGE_HEADER.
  auto header = detail::decode_header_of(message, Framing::response);
  if (!header) return Unexpected(shifted(std::move(header).error(), kTransportHeaderSize));
  if (options.transport_size == TransportSizeCheck::strict && *size != header->size) {
    return Unexpected(util::DecodeError{
        "TRANSPORT_RESPONSE_HEADER.Size", 0,
        "says " + std::to_string(*size) + ", MsgSize says " + std::to_string(header->size)});
  }

  MessageReader r(message, to_string(header->type));
  r.skip_header();
  const auto decode = [&](auto m) -> Expected<Response, util::DecodeError> {
    m.version = header->version;
    m.crypto = header->crypto;
    get(r, m);
    // Into the variant inside finish() (see decode_request).
    auto done = r.finish<Response>(std::move(m));
    if (!done) return Unexpected(shifted(std::move(done).error(), kTransportHeaderSize));
    return done;
  };
  switch (header->type) {
    case MessageType::nego_resp: return decode(MsgNegoResp{});
    case MessageType::blklist: return decode(MsgBlkList{});
    case MessageType::blk: return decode(MsgBlk{});
    case MessageType::seglist: return decode(MsgSegList{});
    default: break;  // decode_header_of() lets only response types through
  }
  return Unexpected(util::DecodeError{"MESSAGE_HEADER.MsgType", 8, "not a response"});
}

}  // namespace peerdist::wire::pccrr
