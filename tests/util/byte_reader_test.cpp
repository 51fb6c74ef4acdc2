#include "peerdist/util/byte_reader.hpp"

#include <gtest/gtest.h>

#include <array>

#include "peerdist/util/byte_writer.hpp"

namespace peerdist::util {
namespace {

TEST(ByteReader, ReadsLittleAndBigEndianIntegers) {
  const std::array<std::uint8_t, 14> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                             0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
  ByteReader r(data);
  EXPECT_EQ(*r.u16le("a"), 0x0201);
  EXPECT_EQ(*r.u32be("b"), 0x03040506U);
  EXPECT_EQ(*r.u64le("c"), 0x0e0d0c0b0a090807ULL);
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.expect_end("x").has_value());
}

TEST(ByteReader, ShortReadNamesFieldAndOffset) {
  const std::array<std::uint8_t, 5> data = {1, 2, 3, 4, 5};
  ByteReader r(data);
  ASSERT_TRUE(r.u16le("first").has_value());
  auto v = r.u32le("dwSomething");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().field, "dwSomething");
  EXPECT_EQ(v.error().offset, 2U);
  EXPECT_EQ(v.error().message(), "dwSomething at offset 2: needs 4 bytes, only 3 left");
  // A failed read consumes nothing.
  EXPECT_EQ(r.offset(), 2U);
}

TEST(ByteReader, BytesAreBoundsChecked) {
  const std::array<std::uint8_t, 4> data = {1, 2, 3, 4};
  ByteReader r(data);
  EXPECT_FALSE(r.bytes(5, "blob").has_value());
  auto b = r.bytes(3, "blob");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 3U);
  EXPECT_EQ((*b)[2], 3);
  auto end = r.expect_end("message");
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().offset, 3U);
}

TEST(ByteWriter, RoundTripsThroughReader) {
  ByteWriter w;
  w.u8(0xab);
  w.u16be(0x1234);
  w.u32le(0xdeadbeef);
  w.u64be(0x0102030405060708ULL);
  const auto bytes = std::move(w).take();
  ASSERT_EQ(bytes.size(), 15U);
  EXPECT_EQ(bytes[1], 0x12);
  EXPECT_EQ(bytes[3], 0xef);
  ByteReader r(bytes);
  EXPECT_EQ(*r.u8("a"), 0xab);
  EXPECT_EQ(*r.u16be("b"), 0x1234);
  EXPECT_EQ(*r.u32le("c"), 0xdeadbeefU);
  EXPECT_EQ(*r.u64be("d"), 0x0102030405060708ULL);
}

}  // namespace
}  // namespace peerdist::util
