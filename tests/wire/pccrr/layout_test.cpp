// Byte layouts and sizes of spec digest §1.3-§1.6, written out field by field from the digest's
// tables (not from our encoder), and the encoder's output compared byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <variant>

#include "peerdist/wire/pccrr/block_cipher.hpp"
#include "peerdist/wire/pccrr/codec.hpp"

#include "message_samples.hpp"
#include "test_util.hpp"

namespace peerdist::wire::pccrr {
namespace {

using pccrc::BlockIndex;
using test::get_be32;
using test::hex;
using test::segment_id;

// segment_id(): 00 01 02 ... 1f
const std::string kId = "000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f";

Request decoded_request(const std::vector<std::uint8_t>& bytes) {
  auto r = decode_request(bytes);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r ? *r : Request{};
}

TEST(Layout, GetBlksIs68BytesAsIpxeSendsIt) {
  // Spec digest §1.5 "Typical (iPXE, [PYPD])", block 7.
  const auto expected = hex("00000001 00000003 00000044 00000001 | 00000020" + kId +
                            "| 00000001 00000007 00000001 | 00000000");
  ASSERT_EQ(expected.size(), 68U);
  const MsgGetBlks m{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(7), 1}}, {}};
  EXPECT_EQ(encode_request(m), expected);
  EXPECT_EQ(std::get<MsgGetBlks>(decoded_request(expected)), m);
}

TEST(Layout, GetBlkListWithOneRangeIs64Bytes) {
  const auto expected = hex("00000001 00000002 00000040 00000001 | 00000020" + kId +
                            "| 00000001 | 00000000 00000200");
  ASSERT_EQ(expected.size(), 64U);
  const MsgGetBlkList m{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(0), 512}}};
  EXPECT_EQ(encode_request(m), expected);
  EXPECT_EQ(std::get<MsgGetBlkList>(decoded_request(expected)), m);
}

TEST(Layout, BlkListWithOneRangeIsMsgSize68HttpBody72) {
  const auto expected = hex("00000044 | 00000001 00000004 00000044 00000000 | 00000020" + kId +
                            "| 00000001 | 00000002 00000005 | 00000009");
  ASSERT_EQ(expected.size(), 72U);
  const MsgBlkList m{
      kVersion1, CryptoAlgorithm::none, segment_id(), {{BlockIndex(2), 5}}, BlockIndex(9)};
  EXPECT_EQ(encode_response(m), expected);
  auto decoded = decode_response(expected);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(std::get<MsgBlkList>(*decoded), m);
}

TEST(Layout, FullAes128BlockIsMsgSize65640HttpBody65644) {
  std::vector<std::uint8_t> kp(32, 0x5A);
  std::vector<std::uint8_t> plaintext(65536, 0x42);
  MsgBlk fields;
  fields.crypto = CryptoAlgorithm::aes128;
  fields.segment_id = segment_id();
  fields.block_index = BlockIndex(3);
  fields.next_block_index = BlockIndex(4);
  auto body = encode_blk_response(fields, kp, plaintext);
  ASSERT_TRUE(body.has_value()) << body.error();
  ASSERT_EQ(body->size(), 65644U);
  EXPECT_EQ(get_be32(*body, 0), 65640U);  // TRANSPORT_RESPONSE_HEADER.Size = 0x10068
  const auto head = hex("00000001 00000005 00010068 00000001 | 00000020" + kId +
                        "| 00000003 | 00000004 | 00010010");
  EXPECT_TRUE(std::equal(head.begin(), head.end(), body->begin() + 4));
  // After the 65,552 ciphertext bytes (a multiple of 4: no ZeroPad_2): SizeOfVrfBlock 0,
  // SizeOfIVBlock 16, the IV.
  const std::size_t after_block = 4 + head.size() + 65552;
  EXPECT_EQ(get_be32(*body, after_block), 0U);
  EXPECT_EQ(get_be32(*body, after_block + 4), 16U);
  EXPECT_EQ(after_block + 8 + 16, body->size());
}

TEST(Layout, GetSegListWithTwoIdsIs112Bytes) {
  const auto expected =
      hex("00000002 00000006 00000070 00000001 | c0c1c2c3c4c5c6c7c8c9cacbcccdcecf | 00000002 |"
          "00000020" +
          kId + "| 00000020" + kId + "| 00000000");
  ASSERT_EQ(expected.size(), 112U);
  const MsgGetSegList m{
      kVersion2, CryptoAlgorithm::aes128, test::request_id(), {segment_id(), segment_id()}, {}};
  EXPECT_EQ(encode_request(m), expected);
  EXPECT_EQ(std::get<MsgGetSegList>(decoded_request(expected)), m);
}

TEST(Layout, SegListWithRangesAndBlob) {
  const auto expected =
      hex("00000034 | 00000002 00000007 00000034 00000000 | c0c1c2c3c4c5c6c7c8c9cacbcccdcecf |"
          "00000001 | 00000000 00000002 | 00000004 | 00010300");
  ASSERT_EQ(expected.size(), 56U);
  const MsgSegList m{
      kVersion2, CryptoAlgorithm::none, test::request_id(), {{0, 2}}, {0x00, 0x01, 0x03, 0x00}};
  EXPECT_EQ(encode_response(m), expected);
  auto decoded = decode_response(expected);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(std::get<MsgSegList>(*decoded), m);
}

TEST(Layout, SegListWithoutBlobSizeDecodesAsTheOldLayout) {
  // A10: the 2012 layout ends after SegmentRanges; re-encoding adds SizeOfExtensibleBlob 0.
  const auto old_layout =
      hex("00000034 | 00000002 00000007 00000034 00000000 | c0c1c2c3c4c5c6c7c8c9cacbcccdcecf |"
          "00000002 | 00000000 00000002 | 00000004 00000001");
  auto decoded = decode_response(old_layout);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  const auto& m = std::get<MsgSegList>(*decoded);
  EXPECT_EQ(m.ranges, (std::vector<SegmentRange>{{0, 2}, {4, 1}}));
  EXPECT_TRUE(m.extensible_blob.empty());
  const auto current = encode_response(m);
  EXPECT_EQ(current.size(), old_layout.size() + 4);
  EXPECT_EQ(get_be32(current, current.size() - 4), 0U);
}

TEST(Layout, NegotiationIs24Bytes) {
  const auto request = hex("00000001 00000000 00000018 00000001 | 00000001 00000002");
  EXPECT_EQ(encode_request(MsgNegoReq{}), request);
  EXPECT_EQ(std::get<MsgNegoReq>(decoded_request(request)), MsgNegoReq{});
  const auto response = hex("00000018 | 00000001 00000001 00000018 00000000 | 00000001 00000002");
  EXPECT_EQ(encode_response(MsgNegoResp{}), response);
}

TEST(Layout, ZeroPadAfterOddSegmentId) {
  // A 30-byte ID takes 2 pad bytes before NeededBlocksRangeCount; the message is still 64.
  const MsgGetBlkList m{
      kVersion1, CryptoAlgorithm::aes128, segment_id(0, 30), {{BlockIndex(1), 2}}};
  const auto bytes = encode_request(m);
  ASSERT_EQ(bytes.size(), 64U);
  EXPECT_EQ(get_be32(bytes, 16), 30U);
  EXPECT_EQ(bytes[50], 0);
  EXPECT_EQ(bytes[51], 0);
  EXPECT_EQ(get_be32(bytes, 52), 1U);
}

TEST(Layout, MsgBlkPadsAreRelativeToTheMessageNotTheTransportHeader) {
  // ID 17 (+3), block 5 (+3), VrfBlock 5 (+3), IV 3 (last field: no pad).
  const std::vector<std::uint8_t> block{1, 2, 3, 4, 5};
  const std::vector<std::uint8_t> vrf{6, 7, 8, 9, 10};
  const std::vector<std::uint8_t> iv{11, 12, 13};
  MsgBlk m;
  m.segment_id = segment_id(0xE0, 17);
  m.block = block;
  m.vrf_block = vrf;
  m.iv = iv;
  const auto expected =
      hex("0000004f | 00000001 00000005 0000004f 00000000 |"
          "00000011 e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0 000000 |"  // SegmentId, ZeroPad
          "00000000 00000000 |"                                   // BlockIndex, NextBlockIndex
          "00000005 0102030405 000000 |"                          // Block, ZeroPad_2
          "00000005 060708090a 000000 |"                          // VrfBlock, ZeroPad_3
          "00000003 0b0c0d");                                     // IVBlock
  EXPECT_EQ(encode_response(m), expected);
  auto decoded = decode_response(expected);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(std::get<MsgBlk>(*decoded), m);
}

TEST(Layout, MissingBlockAnswer) {
  // A30: SizeOfBlock 0, NextBlockIndex 0, CryptoAlgoId 0, no IV.
  const auto expected = hex("00000048 | 00000001 00000005 00000048 00000000 | 00000020" + kId +
                            "| 000001ff 00000000 | 00000000 | 00000000 | 00000000");
  EXPECT_EQ(encode_response(missing_block(segment_id(), BlockIndex(511))), expected);
}

TEST(Layout, DecodeHeaderReadsTheFourFields) {
  const std::vector<std::uint8_t> message = hex("00010001 00000003 00000014 00000002 00000000");
  auto h = decode_header(message);
  ASSERT_TRUE(h.has_value()) << h.error().message();
  EXPECT_EQ(*h, (MessageHeader{{1, 1}, MessageType::getblks, 20, CryptoAlgorithm::aes192}));
}

TEST(Layout, BlkResponseWithRoomMatchesTheWholeEncoding) {
  for (const auto& sample : test::response_samples()) {
    const auto* blk = std::get_if<MsgBlk>(&sample);
    if (blk == nullptr) continue;
    auto room = encode_blk_response_with_room(*blk, blk->block.size());
    ASSERT_EQ(room.block().size(), blk->block.size());
    EXPECT_TRUE(std::all_of(room.block().begin(), room.block().end(),
                            [](std::uint8_t b) { return b == 0; }));
    std::copy(blk->block.begin(), blk->block.end(), room.block().begin());
    EXPECT_EQ(room.bytes, encode_response(*blk));
  }
}

}  // namespace
}  // namespace peerdist::wire::pccrr
