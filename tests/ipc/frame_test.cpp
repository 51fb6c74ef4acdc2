// The frame header (docs/ipc.md "Framing") and the FrameAssembler that cuts a socket's byte
// stream into frames.
#include "peerdist/ipc/frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace peerdist::ipc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Header = std::array<std::uint8_t, kHeaderSize>;

// A valid header, spelled out byte by byte so that the layout is pinned independently of
// encode_header: Result, 5-byte payload, request 0x0102030405060708.
constexpr Header kResultHeader = {
    0x50, 0x44, 0x49, 0x53,                          // magic "PDIS"
    0x01, 0x00,                                      // version 1
    0x02, 0x80,                                      // type 0x8002 (Result)
    0x05, 0x00, 0x00, 0x00,                          // payload_length 5
    0x00, 0x00, 0x00, 0x00,                          // flags
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // request_id
};

void put_u16(Header& h, std::size_t at, std::uint16_t v) {
  h[at] = static_cast<std::uint8_t>(v);
  h[at + 1] = static_cast<std::uint8_t>(v >> 8U);
}
void put_u32(Header& h, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) h[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(Header& h, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) h[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void expect_header_reject(const Header& h, const std::string& field, std::uint64_t offset) {
  auto decoded = decode_header(h);
  ASSERT_FALSE(decoded.has_value()) << "accepted; expected an error in " << field;
  EXPECT_EQ(decoded.error().field, field) << decoded.error().message();
  EXPECT_EQ(decoded.error().offset, offset) << decoded.error().message();
  EXPECT_FALSE(decoded.error().reason.empty());
}

Bytes frame_bytes(MessageType type, std::uint64_t request_id, const Bytes& payload) {
  const auto header =
      encode_header(FrameHeader{type, static_cast<std::uint32_t>(payload.size()), request_id});
  // Byte by byte: GCC 12 at -O3 reports false -Warray-bounds/-Wnull-dereference for the
  // memmove that insert() and copy() inline here when the payload is empty.
  Bytes out(header.begin(), header.end());
  for (const std::uint8_t b : payload) out.push_back(b);
  return out;
}

TEST(FrameHeader, DecodesTheSpelledOutLayout) {
  auto decoded = decode_header(kResultHeader);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->type, MessageType::result);
  EXPECT_EQ(decoded->payload_length, 5U);
  EXPECT_EQ(decoded->request_id, 0x0102030405060708ULL);
  EXPECT_EQ(encode_header(*decoded), kResultHeader);
}

TEST(FrameHeader, RoundTripsEveryType) {
  for (const MessageType type : kAllMessageTypes) {
    const std::uint64_t id = type == MessageType::status_changed ? 0 : 0xFFFFFFFFFFFFFFFFULL;
    const FrameHeader header{type, kMaxPayload, id};
    auto decoded = decode_header(encode_header(header));
    ASSERT_TRUE(decoded.has_value()) << name(type) << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, header) << name(type);
  }
}

TEST(FrameHeader, TypeTableIsConsistent) {
  for (const MessageType type : kAllMessageTypes) {
    EXPECT_EQ(message_type_from(static_cast<std::uint16_t>(type)), type);
    EXPECT_NE(name(type), "unknown");
  }
  EXPECT_TRUE(is_request(MessageType::hello));
  EXPECT_TRUE(is_request(MessageType::close_content_information));
  EXPECT_FALSE(is_request(MessageType::hello_reply));
  EXPECT_FALSE(is_request(MessageType::result));
  EXPECT_FALSE(is_request(MessageType::status_changed));
}

TEST(FrameHeader, RejectsBadMagic) {
  Header h = kResultHeader;
  h[3] = 'T';  // "PDIT"
  expect_header_reject(h, "magic", 0);
  put_u32(h, 0, 0x50444953);  // "PDIS" in the wrong byte order
  expect_header_reject(h, "magic", 0);
}

TEST(FrameHeader, RejectsOtherVersions) {
  for (const int version : {0, 2, 0x0100, 0xFFFF}) {
    Header h = kResultHeader;
    put_u16(h, 4, static_cast<std::uint16_t>(version));
    expect_header_reject(h, "version", 4);
  }
}

TEST(FrameHeader, RejectsUnknownTypes) {
  for (const int type : {0x0000, 0x0008, 0x000F, 0x0016, 0x001B, 0x001F, 0x0029, 0x002F, 0x0032,
                         0x8000, 0x8004, 0x0180, 0xFFFF}) {
    Header h = kResultHeader;
    put_u16(h, 6, static_cast<std::uint16_t>(type));
    expect_header_reject(h, "type", 6);
    EXPECT_FALSE(message_type_from(static_cast<std::uint16_t>(type)).has_value());
  }
}

TEST(FrameHeader, PayloadLengthCap) {
  Header h = kResultHeader;
  put_u32(h, 8, kMaxPayload);
  EXPECT_TRUE(decode_header(h).has_value());
  put_u32(h, 8, kMaxPayload + 1);
  expect_header_reject(h, "payload_length", 8);
  put_u32(h, 8, 0xFFFFFFFF);
  expect_header_reject(h, "payload_length", 8);
}

TEST(FrameHeader, RejectsNonZeroFlags) {
  for (const std::uint32_t flags : {1U, 0x80000000U}) {
    Header h = kResultHeader;
    put_u32(h, 12, flags);
    expect_header_reject(h, "flags", 12);
  }
}

TEST(FrameHeader, RequestIdZeroOnlyForStatusChanged) {
  Header h = kResultHeader;
  put_u64(h, 16, 0);
  expect_header_reject(h, "request_id", 16);
  put_u16(h, 6, static_cast<std::uint16_t>(MessageType::hello));
  expect_header_reject(h, "request_id", 16);
  put_u16(h, 6, static_cast<std::uint16_t>(MessageType::status_changed));
  EXPECT_TRUE(decode_header(h).has_value());
  put_u64(h, 16, 1);
  expect_header_reject(h, "request_id", 16);
}

// ---------------------------------------------------------------------------------------------
// FrameAssembler

// Three frames, one with an empty payload, concatenated.
Bytes three_frames() {
  Bytes stream = frame_bytes(MessageType::get_status, 1, {});
  const Bytes b = frame_bytes(MessageType::result, 1, Bytes(100, 0xAB));
  const Bytes c = frame_bytes(MessageType::status_changed, 0, Bytes(12, 0x01));
  stream.insert(stream.end(), b.begin(), b.end());
  stream.insert(stream.end(), c.begin(), c.end());
  return stream;
}

// Feeds `stream` in pieces cut at `cuts` (ascending offsets) and collects the frames.
std::vector<Frame> assemble(const Bytes& stream, const std::vector<std::size_t>& cuts) {
  FrameAssembler assembler;
  std::vector<Frame> frames;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(stream.size());
  for (const std::size_t to : ends) {
    std::span<const std::uint8_t> piece(stream.data() + from, to - from);
    for (std::size_t guard = 0; guard <= stream.size(); ++guard) {
      auto frame = assembler.next(piece);
      EXPECT_TRUE(frame.has_value()) << frame.error().message();
      if (!frame || !*frame) break;
      frames.push_back(std::move(**frame));
    }
    EXPECT_TRUE(piece.empty());
    from = to;
  }
  EXPECT_FALSE(assembler.mid_frame());
  EXPECT_EQ(assembler.consumed(), stream.size());
  return frames;
}

TEST(FrameAssembler, WholeStream) {
  const auto frames = assemble(three_frames(), {});
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frames[0].header.type, MessageType::get_status);
  EXPECT_TRUE(frames[0].payload.empty());
  EXPECT_EQ(frames[1].header.type, MessageType::result);
  EXPECT_EQ(frames[1].payload, Bytes(100, 0xAB));
  EXPECT_EQ(frames[2].header, (FrameHeader{MessageType::status_changed, 12, 0}));
}

TEST(FrameAssembler, EverySingleAndDoubleSplit) {
  const Bytes stream = three_frames();
  const auto expected = assemble(stream, {});
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    EXPECT_EQ(assemble(stream, {i}), expected) << "cut at " << i;
  }
  // Two cuts, the first inside the header: covers a header split in two pieces and then a
  // payload split, around each frame boundary.
  for (std::size_t i = 0; i <= 30; ++i) {
    for (std::size_t j = i; j <= stream.size(); j += 3) {
      EXPECT_EQ(assemble(stream, {i, j}), expected) << "cuts at " << i << ", " << j;
    }
  }
}

TEST(FrameAssembler, ByteByByte) {
  const Bytes stream = three_frames();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(assemble(stream, cuts), assemble(stream, {}));
}

TEST(FrameAssembler, MidFrameWhileIncomplete) {
  const Bytes stream = frame_bytes(MessageType::result, 9, Bytes(10, 0));
  FrameAssembler assembler;
  EXPECT_FALSE(assembler.mid_frame());
  std::span<const std::uint8_t> empty;
  auto nothing = assembler.next(empty);
  ASSERT_TRUE(nothing.has_value());
  EXPECT_FALSE(nothing->has_value());
  EXPECT_FALSE(assembler.mid_frame());

  std::span<const std::uint8_t> head(stream.data(), 5);
  ASSERT_TRUE(assembler.next(head).has_value());
  EXPECT_TRUE(assembler.mid_frame());
  std::span<const std::uint8_t> rest(stream.data() + 5, stream.size() - 6);  // all but 1 byte
  auto partial = assembler.next(rest);
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());
  EXPECT_TRUE(assembler.mid_frame());
  std::span<const std::uint8_t> last(stream.data() + stream.size() - 1, 1);
  auto done = assembler.next(last);
  ASSERT_TRUE(done.has_value() && done->has_value());
  EXPECT_EQ((*done)->header.request_id, 9U);
  EXPECT_FALSE(assembler.mid_frame());
}

TEST(FrameAssembler, StopsAtFirstBadHeaderAndStaysStopped) {
  Bytes stream = three_frames();
  const std::size_t second = kHeaderSize;  // the first frame has an empty payload
  stream[second + 12] = 1;                 // the second frame's flags
  FrameAssembler assembler;
  std::span<const std::uint8_t> in(stream);
  auto first = assembler.next(in);
  ASSERT_TRUE(first.has_value() && first->has_value());
  auto bad = assembler.next(in);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, "flags");
  EXPECT_EQ(bad.error().offset, second + 12) << "offsets count from the start of the stream";
  // The payload after the bad header was not taken, and nothing more ever is.
  EXPECT_EQ(assembler.consumed(), second + kHeaderSize);
  const std::size_t left = in.size();
  auto again = assembler.next(in);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().field, "flags");
  EXPECT_EQ(in.size(), left);
}

TEST(FrameAssembler, RefusesAHugeLengthBeforeItsPayload) {
  Header h = kResultHeader;
  put_u32(h, 8, 0xFFFFFFFF);
  FrameAssembler assembler;
  std::span<const std::uint8_t> in(h);
  auto bad = assembler.next(in);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, "payload_length");
  EXPECT_EQ(bad.error().offset, 8U);
}

TEST(FrameAssembler, LargestFrame) {
  const Bytes payload(kMaxPayload, 0x5A);
  const Bytes stream = frame_bytes(MessageType::result, 3, payload);
  const auto frames = assemble(stream, {kHeaderSize + 1, kHeaderSize + kMaxPayload / 2});
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].payload, payload);
}

}  // namespace
}  // namespace peerdist::ipc
