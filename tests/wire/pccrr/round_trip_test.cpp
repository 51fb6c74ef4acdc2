// Every message encodes and decodes back to itself: the samples of every type, and random
// messages of every type (sizes of IDs, ranges and byte fields drawn over their whole range).
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <variant>

#include "peerdist/wire/pccrr/codec.hpp"

#include "message_samples.hpp"
#include "test_util.hpp"

namespace peerdist::wire::pccrr {
namespace {

using pccrc::BlockIndex;
using test::Bytes;

void expect_request_round_trip(const Request& request) {
  const auto bytes = encode_request(request);
  auto decoded = decode_request(bytes);
  ASSERT_TRUE(decoded.has_value())
      << to_string(type_of(request)) << ": " << decoded.error().message();
  EXPECT_EQ(*decoded, request) << to_string(type_of(request));
  EXPECT_EQ(encode_request(*decoded), bytes);
  auto header = decode_header(bytes);
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->type, type_of(request));
  EXPECT_EQ(header->size, bytes.size());
}

void expect_response_round_trip(const Response& response) {
  const auto bytes = encode_response(response);
  for (const auto check : {TransportSizeCheck::strict, TransportSizeCheck::lenient}) {
    auto decoded = decode_response(bytes, {check});
    ASSERT_TRUE(decoded.has_value())
        << to_string(type_of(response)) << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, response) << to_string(type_of(response));
    EXPECT_EQ(encode_response(*decoded), bytes);
  }
  auto header = decode_header(std::span(bytes).subspan(kTransportHeaderSize));
  ASSERT_TRUE(header.has_value()) << header.error().message();
  EXPECT_EQ(header->type, type_of(response));
  EXPECT_EQ(header->size + kTransportHeaderSize, bytes.size());
}

TEST(RoundTrip, RequestSamples) {
  for (const auto& request : test::request_samples()) expect_request_round_trip(request);
}

TEST(RoundTrip, ResponseSamples) {
  for (const auto& response : test::response_samples()) expect_response_round_trip(response);
}

TEST(RoundTrip, EveryTypeHasASample) {
  std::set<MessageType> types;
  for (const auto& r : test::request_samples()) types.insert(type_of(r));
  for (const auto& r : test::response_samples()) types.insert(type_of(r));
  EXPECT_EQ(types.size(), kMaxMessageType + 1);
}

TEST(RoundTrip, DecodedBlockViewsTheInput) {
  // The 64 KiB block is not copied on decode: MsgBlk.block points into the body.
  for (const auto& response : test::response_samples()) {
    if (!std::holds_alternative<MsgBlk>(response)) continue;
    const auto bytes = encode_response(response);
    auto decoded = decode_response(bytes);
    ASSERT_TRUE(decoded.has_value());
    const auto& blk = std::get<MsgBlk>(*decoded);
    if (blk.block.empty()) continue;
    EXPECT_GE(blk.block.data(), bytes.data());
    EXPECT_LE(blk.block.data() + blk.block.size(), bytes.data() + bytes.size());
  }
}

// --- Random messages -------------------------------------------------------------------------

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  std::uint32_t u32(std::uint32_t lo = 0, std::uint32_t hi = UINT32_MAX) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(engine_);
  }
  bool coin() { return u32(0, 1) == 1; }
  Bytes bytes(std::size_t max) {
    Bytes out(u32(0, static_cast<std::uint32_t>(max)));
    for (auto& b : out) b = static_cast<std::uint8_t>(u32(0, 255));
    return out;
  }
  SegmentId segment_id() {
    Bytes b(u32(kMinSegmentIdSize, kMaxSegmentIdSize));
    for (auto& x : b) x = static_cast<std::uint8_t>(u32(0, 255));
    return SegmentId(b);
  }
  ProtocolVersion version() {
    return {static_cast<std::uint16_t>(u32(1, 2)), static_cast<std::uint16_t>(u32(0, 0xFFFF))};
  }
  CryptoAlgorithm crypto() { return static_cast<CryptoAlgorithm>(u32(0, kMaxCryptoAlgorithm)); }
  std::vector<BlockRange> block_ranges(std::uint32_t min, std::uint32_t max) {
    std::vector<BlockRange> out(u32(min, max));
    for (auto& r : out) {
      // Any range the decoder accepts: Index + Count - 1 within 2^32.
      const std::uint32_t index = coin() ? u32(0, 511) : u32();
      const std::uint32_t max_count = UINT32_MAX - index + 1U;  // wraps to 0 for index 0
      r = {BlockIndex(index), u32(1, max_count == 0 ? UINT32_MAX : max_count)};
    }
    return out;
  }
  RequestId request_id() {
    RequestId id{};
    for (auto& b : id) b = static_cast<std::uint8_t>(u32(0, 255));
    return id;
  }

 private:
  std::mt19937_64 engine_;
};

Request random_request(Random& rnd) {
  switch (rnd.u32(0, 3)) {
    case 0:
      return MsgNegoReq{ProtocolVersion::from_wire(rnd.u32()), rnd.crypto(),
                        ProtocolVersion::from_wire(rnd.u32()),
                        ProtocolVersion::from_wire(rnd.u32())};
    case 1:
      return MsgGetBlkList{rnd.version(), rnd.crypto(), rnd.segment_id(),
                           rnd.block_ranges(1, kMaxBlockRanges)};
    case 2:
      return MsgGetBlks{rnd.version(), rnd.crypto(), rnd.segment_id(),
                        rnd.block_ranges(1, kMaxBlockRanges), rnd.bytes(40)};
    default: {
      MsgGetSegList m{rnd.version(), rnd.crypto(), rnd.request_id(), {}, rnd.bytes(300)};
      m.segment_ids.resize(rnd.u32(1, rnd.coin() ? 4 : 1000));
      for (auto& id : m.segment_ids) id = rnd.segment_id();
      return m;
    }
  }
}

// MsgBlk views `storage`, which must outlive the response.
Response random_response(Random& rnd, Bytes (&storage)[3]) {
  switch (rnd.u32(0, 3)) {
    case 0:
      return MsgNegoResp{ProtocolVersion::from_wire(rnd.u32()), rnd.crypto(),
                         ProtocolVersion::from_wire(rnd.u32()),
                         ProtocolVersion::from_wire(rnd.u32())};
    case 1:
      return MsgBlkList{rnd.version(), rnd.crypto(), rnd.segment_id(),
                        rnd.block_ranges(0, kMaxBlockRanges), BlockIndex(rnd.u32())};
    case 2: {
      storage[0] = rnd.bytes(rnd.coin() ? 70000 : 100);
      storage[1] = rnd.bytes(rnd.coin() ? 0 : 20);
      storage[2] = rnd.bytes(rnd.coin() ? 16 : 40);
      MsgBlk m;
      m.version = rnd.version();
      m.crypto = rnd.crypto();
      m.segment_id = rnd.segment_id();
      m.block_index = BlockIndex(rnd.u32());
      m.next_block_index = BlockIndex(rnd.u32());
      m.block = storage[0];
      m.vrf_block = storage[1];
      m.iv = storage[2];
      return m;
    }
    default: {
      MsgSegList m{rnd.version(), rnd.crypto(), rnd.request_id(), {}, rnd.bytes(300)};
      m.ranges.resize(rnd.u32(0, rnd.coin() ? 4 : 3000));
      for (auto& r : m.ranges) r = {rnd.u32(0, 1000), rnd.u32(1, 1000)};
      return m;
    }
  }
}

TEST(RoundTrip, RandomRequests) {
  Random rnd(0x5EED0001);
  for (int i = 0; i < 2000; ++i) expect_request_round_trip(random_request(rnd));
}

TEST(RoundTrip, RandomResponses) {
  Random rnd(0x5EED0002);
  for (int i = 0; i < 2000; ++i) {
    Bytes storage[3];
    expect_response_round_trip(random_response(rnd, storage));
  }
}

TEST(RoundTrip, PadBytesMayHoldAnything) {
  // Pads are checked for length, not value; re-encoding writes zeros.
  MsgGetBlkList m{
      kVersion1, CryptoAlgorithm::aes128, test::segment_id(0, 29), {{BlockIndex(1), 1}}};
  auto bytes = encode_request(m);
  // SegmentID fills bytes 20..48; ZeroPad is 49..51.
  ASSERT_EQ(bytes.size(), 64U);
  ASSERT_EQ(bytes[49], 0);
  bytes[49] = 0xFF;
  bytes[51] = 0x01;
  auto decoded = decode_request(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(std::get<MsgGetBlkList>(*decoded), m);
  EXPECT_EQ(encode_request(*decoded), encode_request(m));
}

TEST(RoundTrip, LargestLegalMessages) {
  // A request of exactly kMaxRequestSize: GETBLKS with 256 ranges and a DataForVrfBlock
  // filling the rest.
  MsgGetBlks blks{kVersion1, CryptoAlgorithm::aes128, test::segment_id(), {}, {}};
  blks.ranges.assign(kMaxBlockRanges, BlockRange{BlockIndex(0), 1});
  const std::size_t fixed = 16 + 4 + 32 + 4 + 8 * kMaxBlockRanges + 4;
  blks.data_for_vrf_block.assign(kMaxRequestSize - fixed, 0x77);
  const auto bytes = encode_request(blks);
  EXPECT_EQ(bytes.size(), kMaxRequestSize);
  expect_request_round_trip(blks);

  // A response of exactly kMaxResponseSize.
  const std::size_t blk_fixed = 16 + 4 + 32 + 12 + 4 + 4 + 16;
  const Bytes block(kMaxResponseSize - blk_fixed, 0x33);
  const Bytes iv(16, 0x44);
  MsgBlk blk;
  blk.segment_id = test::segment_id();
  blk.block = block;
  blk.iv = iv;
  EXPECT_EQ(encode_response(blk).size(), kMaxResponseSize + kTransportHeaderSize);
  expect_response_round_trip(blk);
}

}  // namespace
}  // namespace peerdist::wire::pccrr
