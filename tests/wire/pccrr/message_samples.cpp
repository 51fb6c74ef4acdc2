#include "message_samples.hpp"

namespace peerdist::wire::pccrr::test {
namespace {

using pccrc::BlockIndex;

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return bytes;
}

}  // namespace

SegmentId segment_id(std::uint8_t first, std::size_t size) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(first + i);
  return SegmentId(bytes);
}

RequestId request_id() {
  RequestId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xC0 + i);
  return id;
}

std::vector<Request> request_samples() {
  std::vector<Request> out;
  out.emplace_back(MsgNegoReq{});
  out.emplace_back(MsgNegoReq{ProtocolVersion{3, 1}, CryptoAlgorithm::none, {1, 0}, {3, 1}});
  out.emplace_back(
      MsgGetBlkList{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(0), 512}}});
  out.emplace_back(MsgGetBlkList{ProtocolVersion{1, 5},
                                 CryptoAlgorithm::aes256,
                                 segment_id(0x40, 33),
                                 {{BlockIndex(2), 3}, {BlockIndex(10), 1}, {BlockIndex(42), 7}}});
  out.emplace_back(
      MsgGetBlks{kVersion1, CryptoAlgorithm::aes128, segment_id(), {{BlockIndex(7), 1}}, {}});
  out.emplace_back(MsgGetBlks{kVersion2,
                              CryptoAlgorithm::aes192,
                              segment_id(0x80, 48),
                              {{BlockIndex(0), 1}, {BlockIndex(5), 2}},
                              {0xAA, 0xBB, 0xCC}});
  out.emplace_back(MsgGetSegList{kVersion2,
                                 CryptoAlgorithm::aes128,
                                 request_id(),
                                 {segment_id(0x10), segment_id(0x20, 1), segment_id(0x30, 64)},
                                 {}});
  out.emplace_back(MsgGetSegList{kVersion2,
                                 CryptoAlgorithm::none,
                                 request_id(),
                                 {segment_id(0x50)},
                                 {0x00, 0x01, 0x03, 0x01, 0x00, 0x60, 0xEA, 0x00}});
  return out;
}

std::vector<Response> response_samples() {
  std::vector<Response> out;
  out.emplace_back(MsgNegoResp{});
  out.emplace_back(MsgNegoResp{ProtocolVersion{4, 0}, CryptoAlgorithm::none, {4, 0}, {4, 2}});
  out.emplace_back(MsgBlkList{kVersion1,
                              CryptoAlgorithm::none,
                              segment_id(),
                              {{BlockIndex(0), 4}, {BlockIndex(8), 4}},
                              BlockIndex(20)});
  out.emplace_back(
      MsgBlkList{kVersion1, CryptoAlgorithm::aes128, segment_id(0x11, 31), {}, BlockIndex(0)});

  // What the MSG_BLK samples view: static, so they outlive every sample.
  static const Bytes kBlock = pattern(65552, 1);
  static const Bytes kIv = pattern(16, 2);
  static const Bytes kOddBlock = pattern(1001, 3);
  static const Bytes kOddVrf = pattern(5, 4);
  static const Bytes kOddIv = pattern(3, 5);

  MsgBlk blk;
  blk.crypto = CryptoAlgorithm::aes128;
  blk.segment_id = segment_id();
  blk.block_index = BlockIndex(3);
  blk.next_block_index = BlockIndex(4);
  blk.block = kBlock;
  blk.iv = kIv;
  out.emplace_back(blk);

  MsgBlk odd;  // every pad non-empty
  odd.version = ProtocolVersion{2, 0};
  odd.crypto = CryptoAlgorithm::none;
  odd.segment_id = segment_id(0x21, 17);
  odd.block = kOddBlock;
  odd.vrf_block = kOddVrf;
  odd.iv = kOddIv;
  out.emplace_back(odd);

  out.emplace_back(missing_block(segment_id(), BlockIndex(511)));
  out.emplace_back(MsgSegList{
      kVersion2, CryptoAlgorithm::none, request_id(), {{0, 2}, {5, 1}}, {0x00, 0x01, 0x03, 0x00}});
  out.emplace_back(MsgSegList{kVersion2, CryptoAlgorithm::none, request_id(), {}, {}});
  return out;
}

}  // namespace peerdist::wire::pccrr::test
