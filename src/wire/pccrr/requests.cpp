// The request messages (spec digest §1.5): for each, its body's encoder (put) and decoder (get)
// side by side, field by field in wire order. MESSAGE_HEADER is written and read around them
// by encode_request() / decode_request() at the end of the file.
#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

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

// --- MSG_NEGO_REQ ----------------------------------------------------------------------------

void put(MessageWriter& w, const MsgNegoReq& m) {
  w.u32(m.min_supported.to_wire());  // MinSupportedProtocolVersion
  w.u32(m.max_supported.to_wire());  // MaxSupportedProtocolVersion
}
void get(MessageReader& r, MsgNegoReq& m) {
  m.min_supported = ProtocolVersion::from_wire(r.u32("MinSupportedProtocolVersion"));
  m.max_supported = ProtocolVersion::from_wire(r.u32("MaxSupportedProtocolVersion"));
}

// --- MSG_GETBLKLIST --------------------------------------------------------------------------

void put(MessageWriter& w, const MsgGetBlkList& m) {
  w.segment_id(m.segment_id);                           // SizeOfSegmentID, SegmentID
  w.zero_pad();                                         // ZeroPad
  w.block_ranges(m.needed_ranges, 1, kMaxBlockRanges);  // NeededBlocksRangeCount, NeededBlockRanges
}
void get(MessageReader& r, MsgGetBlkList& m) {
  m.segment_id = r.segment_id("SizeOfSegmentID", "SegmentID");
  r.zero_pad("ZeroPad");
  const std::uint32_t n = r.count("NeededBlocksRangeCount", 1, kMaxBlockRanges, kBlockRangeSize);
  m.needed_ranges = r.block_ranges(n, "NeededBlockRanges");
}

// --- MSG_GETBLKS -----------------------------------------------------------------------------

void put(MessageWriter& w, const MsgGetBlks& m) {
  w.segment_id(m.segment_id);                    // SizeOfSegmentID, SegmentID
  w.zero_pad();                                  // ZeroPad
  w.block_ranges(m.ranges, 1, kMaxBlockRanges);  // ReqBlockRangeCount, ReqBlockRanges
  w.sized_bytes(m.data_for_vrf_block);           // SizeOfDataForVrfBlock, DataForVrfBlock
}
void get(MessageReader& r, MsgGetBlks& m) {
  m.segment_id = r.segment_id("SizeOfSegmentID", "SegmentID");
  r.zero_pad("ZeroPad");
  const std::uint32_t n = r.count("ReqBlockRangeCount", 1, kMaxBlockRanges, kBlockRangeSize);
  m.ranges = r.block_ranges(n, "ReqBlockRanges");
  const auto vrf = r.sized_bytes("SizeOfDataForVrfBlock", "DataForVrfBlock");
  m.data_for_vrf_block.assign(vrf.begin(), vrf.end());
}

// --- MSG_GETSEGLIST --------------------------------------------------------------------------

void put(MessageWriter& w, const MsgGetSegList& m) {
  w.bytes(m.request_id);  // RequestID
  MessageWriter::require(!m.segment_ids.empty() && m.segment_ids.size() <= kMaxSegmentIds,
                         "CountOfSegmentIDs out of bounds");
  w.u32(static_cast<std::uint32_t>(m.segment_ids.size()));  // CountOfSegmentIDs
  for (const SegmentId& id : m.segment_ids) {
    w.segment_id(id);  // SizeOfSegmentID, SegmentID
    w.zero_pad();      // ZeroPad (after every ID: SizeOfExtensibleBlob follows the last)
  }
  w.sized_bytes(m.extensible_blob);  // SizeOfExtensibleBlob, ExtensibleBlob
}
void get(MessageReader& r, MsgGetSegList& m) {
  const auto request_id = r.bytes(kRequestIdSize, "RequestID");
  std::copy(request_id.begin(), request_id.end(), m.request_id.begin());
  const std::uint32_t n = r.count("CountOfSegmentIDs", 1, kMaxSegmentIds, kMinSegmentIdEntrySize);
  m.segment_ids.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    m.segment_ids.push_back(
        r.segment_id({"SegmentIDs", i, "SizeOfSegmentID"}, {"SegmentIDs", i, "SegmentID"}));
    r.zero_pad({"SegmentIDs", i, "ZeroPad"});
  }
  const auto blob = r.sized_bytes("SizeOfExtensibleBlob", "ExtensibleBlob");
  m.extensible_blob.assign(blob.begin(), blob.end());
}

}  // namespace

std::vector<std::uint8_t> encode_request(const Request& request) {
  return std::visit(
      [](const auto& m) {
        // Requests are small: the largest legal one is kMaxRequestSize.
        MessageWriter w(Framing::request, 256);
        w.header(m.version, m.kType, m.crypto);
        put(w, m);
        return std::move(w).finish();
      },
      request);
}

Expected<Request, util::DecodeError> decode_request(std::span<const std::uint8_t> message) {
  auto header = detail::decode_header_of(message, Framing::request);
  if (!header) return Unexpected(std::move(header).error());
  MessageReader r(message, to_string(header->type));
  r.skip_header();
  const auto decode = [&](auto m) -> Expected<Request, util::DecodeError> {
    m.version = header->version;
    m.crypto = header->crypto;
    get(r, m);
    // Into the variant inside finish(), as ipc does: building the Request from a finished
    // Expected<Msg> trips GCC 12's -Wmaybe-uninitialized at -O2.
    return r.finish<Request>(std::move(m));
  };
  switch (header->type) {
    case MessageType::nego_req: return decode(MsgNegoReq{});
    case MessageType::getblklist: return decode(MsgGetBlkList{});
    case MessageType::getblks: return decode(MsgGetBlks{});
    case MessageType::getseglist: return decode(MsgGetSegList{});
    default: break;  // decode_header_of() lets only request types through
  }
  return Unexpected(util::DecodeError{"MESSAGE_HEADER.MsgType", 4, "not a request"});
}

}  // namespace peerdist::wire::pccrr
