// ProtVer's wire form (spec digest §1.4): minor in bytes 0-1, major in bytes 2-3, big-endian.
#include "peerdist/wire/pccrr/protocol_version.hpp"

#include <gtest/gtest.h>

#include "peerdist/wire/pccrr/codec.hpp"

#include "test_util.hpp"

namespace peerdist::wire::pccrr {
namespace {

using test::hex;

TEST(ProtocolVersion, WireForm) {
  EXPECT_EQ(kVersion1.to_wire(), 0x00000001U);
  EXPECT_EQ(kVersion2.to_wire(), 0x00000002U);
  EXPECT_EQ((ProtocolVersion{1, 1}.to_wire()), 0x00010001U);
  EXPECT_EQ((ProtocolVersion{0x1234, 0xABCD}.to_wire()), 0xABCD1234U);
  EXPECT_EQ(ProtocolVersion::from_wire(0x00000001U), kVersion1);
  EXPECT_EQ(ProtocolVersion::from_wire(0x00000002U), kVersion2);
  EXPECT_EQ(ProtocolVersion::from_wire(0x00010001U), (ProtocolVersion{1, 1}));
  for (const std::uint32_t wire : {0U, 1U, 0x00010002U, 0xFFFF0000U, 0xFFFFFFFFU, 0x8000FFFFU}) {
    EXPECT_EQ(ProtocolVersion::from_wire(wire).to_wire(), wire);
  }
}

TEST(ProtocolVersion, BytesOnTheWire) {
  // The header of a MSG_NEGO_REQ of each version, as decode_header() reads it.
  const auto header = [](std::string_view prot_ver) {
    auto bytes = hex(std::string(prot_ver) + "00000000 00000018 00000001 00000001 00000002");
    auto h = decode_header(bytes);
    EXPECT_TRUE(h.has_value()) << h.error().message();
    return h ? h->version : ProtocolVersion{};
  };
  EXPECT_EQ(header("00000001"), (ProtocolVersion{1, 0}));
  EXPECT_EQ(header("00000002"), (ProtocolVersion{2, 0}));
  EXPECT_EQ(header("00010001"), (ProtocolVersion{1, 1}));
  EXPECT_EQ(header("00010000"), (ProtocolVersion{0, 1}));

  const auto bytes = encode_request(MsgNegoReq{ProtocolVersion{1, 1}, CryptoAlgorithm::aes128,
                                               ProtocolVersion{1, 0}, ProtocolVersion{2, 3}});
  EXPECT_EQ(bytes, hex("00010001 00000000 00000018 00000001 | 00000001 00030002"));
}

TEST(ProtocolVersion, OrderAndText) {
  EXPECT_LT(kVersion1, kVersion2);
  EXPECT_LT((ProtocolVersion{1, 9}), kVersion2);
  EXPECT_LT(kVersion1, (ProtocolVersion{1, 1}));
  EXPECT_EQ((ProtocolVersion{2, 10}.to_string()), "2.10");
  EXPECT_TRUE(is_known_major({1, 7}));
  EXPECT_TRUE(is_known_major(kVersion2));
  EXPECT_FALSE(is_known_major({0, 1}));
  EXPECT_FALSE(is_known_major({3, 0}));
}

}  // namespace
}  // namespace peerdist::wire::pccrr
