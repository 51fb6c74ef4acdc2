// What the decoders refuse: each case breaks one rule of spec digest §1.2-§1.6 once, and the
// error must name the field (and where it starts). Plus every truncation of every sample, and
// the encoders refusing to write what the decoders would refuse.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <variant>

#include "peerdist/wire/pccrr/codec.hpp"

#include "message_samples.hpp"
#include "test_util.hpp"

namespace peerdist::wire::pccrr {
namespace {

using pccrc::BlockIndex;
using test::Bytes;
using test::get_be32;
using test::put_be32;
using test::segment_id;

Bytes with_u32(Bytes bytes, std::size_t at, std::uint32_t v) {
  put_be32(bytes, at, v);
  return bytes;
}

void expect_request_reject(const Bytes& bytes, const std::string& field, std::uint64_t offset) {
  auto r = decode_request(bytes);
  ASSERT_FALSE(r.has_value()) << "accepted; expected an error in " << field;
  EXPECT_EQ(r.error().field, field) << r.error().message();
  EXPECT_EQ(r.error().offset, offset) << r.error().message();
  EXPECT_FALSE(r.error().reason.empty());
}

void expect_response_reject(const Bytes& bytes, const std::string& field, std::uint64_t offset,
                            ResponseDecodeOptions options = {}) {
  auto r = decode_response(bytes, options);
  ASSERT_FALSE(r.has_value()) << "accepted; expected an error in " << field;
  EXPECT_EQ(r.error().field, field) << r.error().message();
  EXPECT_EQ(r.error().offset, offset) << r.error().message();
  EXPECT_FALSE(r.error().reason.empty());
}

// A GETBLKLIST with one range (64 bytes): NeededBlocksRangeCount at 52, the range at 56.
Bytes getblklist() {
  return encode_request(
      MsgGetBlkList{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(4), 2}}});
}

// --- Truncation ------------------------------------------------------------------------------

// Whether a SEGLIST prefix is the 2012 layout (ends right after SegmentRanges), which is valid.
bool is_old_seglist_layout(const Response& response, std::size_t prefix) {
  const auto* m = std::get_if<MsgSegList>(&response);
  return m != nullptr && prefix == kTransportHeaderSize + kMessageHeaderSize + kRequestIdSize + 4 +
                                       kBlockRangeSize * m->ranges.size();
}

TEST(DecodeRejects, EveryTruncationOfEveryRequest) {
  for (const auto& request : test::request_samples()) {
    const auto bytes = encode_request(request);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = decode_request(prefix);
      ASSERT_FALSE(r.has_value()) << to_string(type_of(request)) << " cut to " << n;
      EXPECT_LE(r.error().offset, n);
      // The same cut with MsgSize saying so: the body's own fields must run out.
      if (n < kMessageHeaderSize) continue;
      auto resized = decode_request(with_u32(prefix, 8, static_cast<std::uint32_t>(n)));
      ASSERT_FALSE(resized.has_value()) << to_string(type_of(request)) << " cut to " << n;
      EXPECT_LE(resized.error().offset, n);
      EXPECT_TRUE(resized.error().field.starts_with(to_string(type_of(request))))
          << resized.error().message();
    }
  }
}

TEST(DecodeRejects, EveryTruncationOfEveryResponse) {
  for (const auto& response : test::response_samples()) {
    const auto bytes = encode_response(response);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      for (const auto check : {TransportSizeCheck::strict, TransportSizeCheck::lenient}) {
        auto r = decode_response(prefix, {check});
        ASSERT_FALSE(r.has_value()) << to_string(type_of(response)) << " cut to " << n;
        EXPECT_LE(r.error().offset, n);
      }
      if (n < kTransportHeaderSize + kMessageHeaderSize) continue;
      const auto size = static_cast<std::uint32_t>(n - kTransportHeaderSize);
      auto resized = decode_response(with_u32(with_u32(prefix, 0, size), 12, size));
      if (is_old_seglist_layout(response, n)) {
        EXPECT_TRUE(resized.has_value()) << resized.error().message();
        continue;
      }
      ASSERT_FALSE(resized.has_value()) << to_string(type_of(response)) << " cut to " << n;
      EXPECT_LE(resized.error().offset, n);
      EXPECT_TRUE(resized.error().field.starts_with(to_string(type_of(response))))
          << resized.error().message();
    }
  }
}

TEST(DecodeRejects, EmptyAndShortInput) {
  expect_request_reject({}, "MESSAGE_HEADER.ProtVer", 0);
  expect_request_reject({0, 0, 0, 1, 0, 0}, "MESSAGE_HEADER.MsgType", 4);
  expect_response_reject({}, "TRANSPORT_RESPONSE_HEADER.Size", 0);
  expect_response_reject({0, 0, 0}, "TRANSPORT_RESPONSE_HEADER.Size", 0);
  expect_response_reject({0, 0, 0, 16}, "MESSAGE_HEADER.ProtVer", 4);
  auto h = decode_header({});
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().field, "MESSAGE_HEADER.ProtVer");
}

// --- MsgSize and the transport header --------------------------------------------------------

TEST(DecodeRejects, MsgSizeMustEqualTheBytesPresent) {
  for (const auto& request : test::request_samples()) {
    const auto bytes = encode_request(request);
    const auto size = static_cast<std::uint32_t>(bytes.size());
    for (const std::uint32_t wrong : {size - 1, size + 1, 0U, 15U, 16U, 0xFFFFFFFFU}) {
      if (wrong == size) continue;
      expect_request_reject(with_u32(bytes, 8, wrong), "MESSAGE_HEADER.MsgSize", 8);
    }
  }
  for (const auto& response : test::response_samples()) {
    const auto bytes = encode_response(response);
    const auto size = static_cast<std::uint32_t>(bytes.size() - kTransportHeaderSize);
    for (const std::uint32_t wrong : {size - 1, size + 1, 0U, 0xFFFFFFFFU}) {
      // The transport Size agrees with the wrong MsgSize: MsgSize is what is wrong.
      expect_response_reject(with_u32(with_u32(bytes, 0, wrong), 12, wrong),
                             "MESSAGE_HEADER.MsgSize", 12);
    }
  }
}

TEST(DecodeRejects, TransportSizeStrictOrLenient) {
  // A6: strict requires Size == MsgSize; lenient (a client, as iPXE) ignores Size.
  for (const auto& response : test::response_samples()) {
    const auto bytes = encode_response(response);
    for (const std::uint32_t wrong : {0U, get_be32(bytes, 0) + 1, 0xFFFFFFFFU}) {
      const auto broken = with_u32(bytes, 0, wrong);
      expect_response_reject(broken, "TRANSPORT_RESPONSE_HEADER.Size", 0);
      auto lenient = decode_response(broken, {TransportSizeCheck::lenient});
      ASSERT_TRUE(lenient.has_value()) << lenient.error().message();
      EXPECT_EQ(*lenient, response);
    }
  }
}

TEST(DecodeRejects, TrailingBytes) {
  for (const auto& request : test::request_samples()) {
    auto bytes = encode_request(request);
    const auto size = bytes.size();
    bytes.insert(bytes.end(), {0, 0, 0, 0});
    expect_request_reject(with_u32(bytes, 8, static_cast<std::uint32_t>(bytes.size())),
                          std::string(to_string(type_of(request))), size);
  }
  for (const auto& response : test::response_samples()) {
    auto bytes = encode_response(response);
    const auto size = bytes.size();
    bytes.insert(bytes.end(), {0, 0, 0, 0});
    const auto msg_size = static_cast<std::uint32_t>(bytes.size() - kTransportHeaderSize);
    expect_response_reject(with_u32(with_u32(bytes, 0, msg_size), 12, msg_size),
                           std::string(to_string(type_of(response))), size);
  }
}

TEST(DecodeRejects, Oversize) {
  // A GETBLKS of kMaxRequestSize + 4 bytes, otherwise well-formed.
  auto bytes = encode_request(MsgGetBlks{kVersion1,
                                         CryptoAlgorithm::aes128,
                                         segment_id(),
                                         {{BlockIndex(0), 1}},
                                         Bytes(kMaxRequestSize - 68, 1)});
  ASSERT_EQ(bytes.size(), kMaxRequestSize);
  bytes.insert(bytes.end(), {1, 1, 1, 1});
  bytes = with_u32(bytes, 8, static_cast<std::uint32_t>(bytes.size()));
  bytes = with_u32(bytes, 64, get_be32(bytes, 64) + 4);  // SizeOfDataForVrfBlock
  expect_request_reject(bytes, "MESSAGE_HEADER.MsgSize", 8);

  // A MSG_BLK one byte past kMaxResponseSize.
  const Bytes block(kMaxResponseSize - 16 - 4 - 32 - 12 - 4 - 4, 2);
  MsgBlk blk;
  blk.segment_id = segment_id();
  blk.block = block;
  auto body = encode_response(blk);
  ASSERT_EQ(body.size(), kMaxResponseSize + kTransportHeaderSize);
  body.push_back(0);
  const auto big = static_cast<std::uint32_t>(kMaxResponseSize + 1);
  body = with_u32(with_u32(body, 0, big), 12, big);
  expect_response_reject(body, "MESSAGE_HEADER.MsgSize", 12);
}

// --- Header fields ---------------------------------------------------------------------------

TEST(DecodeRejects, UnknownMessageType) {
  for (const std::uint32_t type : {8U, 9U, 0x100U, 0xFFFFFFFFU}) {
    expect_request_reject(with_u32(getblklist(), 4, type), "MESSAGE_HEADER.MsgType", 4);
    expect_response_reject(with_u32(encode_response(MsgNegoResp{}), 8, type),
                           "MESSAGE_HEADER.MsgType", 8);
  }
}

TEST(DecodeRejects, WrongDirection) {
  for (const auto& response : test::response_samples()) {
    const auto bytes = encode_response(response);
    // The message without its transport header, offered as a request.
    expect_request_reject(Bytes(bytes.begin() + kTransportHeaderSize, bytes.end()),
                          "MESSAGE_HEADER.MsgType", 4);
  }
  for (const auto& request : test::request_samples()) {
    auto bytes = encode_request(request);
    const auto size = static_cast<std::uint32_t>(bytes.size());
    bytes.insert(bytes.begin(), {0, 0, 0, 0});
    expect_response_reject(with_u32(bytes, 0, size), "MESSAGE_HEADER.MsgType", 8);
  }
}

TEST(DecodeRejects, UnknownCryptoAlgorithm) {
  for (const std::uint32_t algo : {4U, 0x80000000U, 0xFFFFFFFFU}) {
    expect_request_reject(with_u32(getblklist(), 12, algo), "MESSAGE_HEADER.CryptoAlgoId", 12);
    expect_response_reject(with_u32(encode_response(MsgNegoResp{}), 16, algo),
                           "MESSAGE_HEADER.CryptoAlgoId", 16);
  }
}

TEST(DecodeRejects, UnknownMajorVersionButTheHeaderDecodes) {
  for (const std::uint32_t prot_ver : {0x00000003U, 0x00010000U, 0x0000FFFFU}) {
    const auto bytes = with_u32(getblklist(), 0, prot_ver);
    expect_request_reject(bytes, "MESSAGE_HEADER.ProtVer", 0);
    // A server still learns the version, to answer MSG_NEGO_RESP.
    auto header = decode_header(bytes);
    ASSERT_TRUE(header.has_value()) << header.error().message();
    EXPECT_EQ(header->version, ProtocolVersion::from_wire(prot_ver));
    EXPECT_EQ(header->type, MessageType::getblklist);
  }
  // The negotiation messages decode whatever their version.
  auto nego = decode_request(with_u32(encode_request(MsgNegoReq{}), 0, 0x00000003U));
  ASSERT_TRUE(nego.has_value()) << nego.error().message();
  EXPECT_EQ(std::get<MsgNegoReq>(*nego).version, (ProtocolVersion{3, 0}));
  auto nego_resp = decode_response(with_u32(encode_response(MsgNegoResp{}), 4, 0x00020007U));
  ASSERT_TRUE(nego_resp.has_value()) << nego_resp.error().message();
  EXPECT_EQ(std::get<MsgNegoResp>(*nego_resp).version, (ProtocolVersion{7, 2}));
  // Any minor version of a known major decodes.
  EXPECT_TRUE(decode_request(with_u32(getblklist(), 0, 0xFFFF0001U)).has_value());
}

// --- Body fields -----------------------------------------------------------------------------

TEST(DecodeRejects, SegmentIdSize) {
  for (const std::uint32_t size : {0U, 65U, 0xFFFFFFFFU}) {
    expect_request_reject(with_u32(getblklist(), 16, size), "MSG_GETBLKLIST.SizeOfSegmentID", 16);
  }
  // 33: the ID takes 33 bytes, so the pad and count are read one byte late.
  expect_request_reject(with_u32(getblklist(), 16, 33), "MSG_GETBLKLIST.NeededBlocksRangeCount",
                        56);
}

TEST(DecodeRejects, RangeCounts) {
  const auto bytes = getblklist();
  expect_request_reject(with_u32(bytes, 52, 0), "MSG_GETBLKLIST.NeededBlocksRangeCount", 52);
  expect_request_reject(with_u32(bytes, 52, 2), "MSG_GETBLKLIST.NeededBlocksRangeCount", 52);
  expect_request_reject(with_u32(bytes, 52, 257), "MSG_GETBLKLIST.NeededBlocksRangeCount", 52);
  expect_request_reject(with_u32(bytes, 52, 0xFFFFFFFFU), "MSG_GETBLKLIST.NeededBlocksRangeCount",
                        52);
  // 0x20000001 ranges of 8 bytes is 2^32 + 8 bytes: must not wrap to "fits".
  expect_request_reject(with_u32(bytes, 52, 0x20000001U), "MSG_GETBLKLIST.NeededBlocksRangeCount",
                        52);

  const auto blklist = encode_response(
      MsgBlkList{kVersion1, CryptoAlgorithm::none, segment_id(), {}, BlockIndex(0)});
  expect_response_reject(with_u32(blklist, 56, 257), "MSG_BLKLIST.BlockRangeCount", 56);
  expect_response_reject(with_u32(blklist, 56, 1), "MSG_BLKLIST.BlockRangeCount", 56);

  const auto getblks = encode_request(
      MsgGetBlks{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(1), 1}}, {}});
  expect_request_reject(with_u32(getblks, 52, 0), "MSG_GETBLKS.ReqBlockRangeCount", 52);
}

TEST(DecodeRejects, RangeValues) {
  const auto bytes = getblklist();
  expect_request_reject(with_u32(bytes, 60, 0), "MSG_GETBLKLIST.NeededBlockRanges[0].Count", 60);
  // Index 0xFFFFFFFF + 2 blocks runs past the last index.
  expect_request_reject(with_u32(with_u32(bytes, 56, 0xFFFFFFFFU), 60, 2),
                        "MSG_GETBLKLIST.NeededBlockRanges[0].Count", 60);
  EXPECT_TRUE(decode_request(with_u32(with_u32(bytes, 56, 0xFFFFFFFFU), 60, 1)).has_value());
  EXPECT_TRUE(decode_request(with_u32(with_u32(bytes, 56, 0), 60, 0xFFFFFFFFU)).has_value());

  const auto seglist = encode_response(
      MsgSegList{kVersion2, CryptoAlgorithm::none, test::request_id(), {{0, 1}, {3, 1}}, {}});
  // Ranges start at 4 + 16 + 16 + 4 = 40.
  expect_response_reject(with_u32(seglist, 52, 0), "MSG_SEGLIST.SegmentRanges[1].Count", 52);
}

TEST(DecodeRejects, SegmentIdCount) {
  const auto bytes = encode_request(
      MsgGetSegList{kVersion2, CryptoAlgorithm::aes128, test::request_id(), {segment_id()}, {}});
  for (const std::uint32_t count : {0U, kMaxSegmentIds + 1, 0xFFFFFFFFU}) {
    expect_request_reject(with_u32(bytes, 32, count), "MSG_GETSEGLIST.CountOfSegmentIDs", 32);
  }
  // Two would fit in the bytes left, so the second ID is read: its size is the blob's 0.
  expect_request_reject(with_u32(bytes, 32, 2), "MSG_GETSEGLIST.SegmentIDs[1].SizeOfSegmentID", 72);
  // The ID's own size field, named with its position.
  expect_request_reject(with_u32(bytes, 36, 0), "MSG_GETSEGLIST.SegmentIDs[0].SizeOfSegmentID", 36);
  expect_request_reject(with_u32(bytes, 72, 5), "MSG_GETSEGLIST.SizeOfExtensibleBlob", 72);

  const auto seglist =
      encode_response(MsgSegList{kVersion2, CryptoAlgorithm::none, test::request_id(), {}, {}});
  for (const std::uint32_t count : {1U, kMaxSegmentRanges + 1, 0xFFFFFFFFU}) {
    expect_response_reject(with_u32(seglist, 36, count), "MSG_SEGLIST.SegmentRangeCount", 36);
  }
  expect_response_reject(with_u32(seglist, 40, 1), "MSG_SEGLIST.SizeOfExtensibleBlob", 40);
}

TEST(DecodeRejects, BlkSizes) {
  const Bytes block(64, 9);
  const Bytes iv(16, 8);
  MsgBlk m;
  m.crypto = CryptoAlgorithm::aes128;
  m.segment_id = segment_id();
  m.block = block;
  m.iv = iv;
  const auto bytes = encode_response(m);
  // SizeOfBlock at 4 + 16 + 4 + 32 + 8 = 64; SizeOfVrfBlock at 132; SizeOfIVBlock at 136.
  ASSERT_EQ(get_be32(bytes, 64), 64U);
  ASSERT_EQ(get_be32(bytes, 136), 16U);
  for (const std::uint32_t size : {65U + 8U + 16U, 0x7FFFFFFFU, 0xFFFFFFFFU}) {
    expect_response_reject(with_u32(bytes, 64, size), "MSG_BLK.SizeOfBlock", 64);
  }
  // One byte more: ZeroPad_2 takes 3 bytes, the IV's size is read as SizeOfVrfBlock, and
  // nothing is left for SizeOfIVBlock.
  expect_response_reject(with_u32(bytes, 64, 65), "MSG_BLK.SizeOfIVBlock", 156);
  expect_response_reject(with_u32(bytes, 132, 1), "MSG_BLK.SizeOfIVBlock", 140);
  expect_response_reject(with_u32(bytes, 136, 17), "MSG_BLK.SizeOfIVBlock", 136);
  expect_response_reject(with_u32(bytes, 136, 15), "MSG_BLK", 155);
}

// --- Encoders refuse what decoders refuse ----------------------------------------------------

TEST(EncodeRejects, ThrowsOnWhatTheDecoderRefuses) {
  const auto getblklist = [](SegmentId id, std::vector<BlockRange> ranges) {
    return Request(MsgGetBlkList{kVersion1, CryptoAlgorithm::aes128, id, std::move(ranges)});
  };
  EXPECT_THROW((void)encode_request(getblklist(SegmentId{}, {{BlockIndex(0), 1}})),
               std::length_error);
  EXPECT_THROW((void)encode_request(getblklist(segment_id(), {})), std::length_error);
  EXPECT_THROW((void)encode_request(
                   getblklist(segment_id(), std::vector<BlockRange>(257, {BlockIndex(0), 1}))),
               std::length_error);
  EXPECT_THROW((void)encode_request(getblklist(segment_id(), {{BlockIndex(0), 0}})),
               std::length_error);
  EXPECT_THROW((void)encode_request(getblklist(segment_id(), {{BlockIndex(0xFFFFFFFFU), 2}})),
               std::length_error);
  EXPECT_THROW((void)encode_request(
                   MsgGetSegList{kVersion2, CryptoAlgorithm::aes128, test::request_id(), {}, {}}),
               std::length_error);
  EXPECT_THROW((void)encode_request(MsgGetBlks{kVersion1,
                                               CryptoAlgorithm::aes128,
                                               segment_id(),
                                               {{BlockIndex(0), 1}},
                                               Bytes(kMaxRequestSize, 0)}),
               std::length_error);
  const Bytes block(kMaxResponseSize, 0);
  MsgBlk blk;
  blk.segment_id = segment_id();
  blk.block = block;
  EXPECT_THROW((void)encode_response(blk), std::length_error);
  EXPECT_THROW((void)encode_blk_response_with_room(blk, kMaxResponseSize), std::length_error);
  EXPECT_THROW((void)encode_response(
                   MsgSegList{kVersion2, CryptoAlgorithm::none, test::request_id(), {{1, 0}}, {}}),
               std::length_error);
}

}  // namespace
}  // namespace peerdist::wire::pccrr
