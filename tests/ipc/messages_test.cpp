// Every message round-trips through encode/decode and through a frame, and its payload has the
// layout of docs/ipc.md, spelled out here byte by byte.
#include "peerdist/ipc/messages.hpp"

#include <gtest/gtest.h>

#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "peerdist/ipc/frame.hpp"

#include "message_samples.hpp"

namespace peerdist::ipc {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Little-endian field builder for the expected layouts (independent of the codec's writer).
class Layout {
 public:
  Layout& u8(std::uint64_t v) { return le(v, 1); }
  Layout& u16(std::uint64_t v) { return le(v, 2); }
  Layout& u32(std::uint64_t v) { return le(v, 4); }
  Layout& u64(std::uint64_t v) { return le(v, 8); }
  Layout& blob(const std::string& s) {
    u32(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  Layout& blob(const Bytes& b) {
    u32(b.size());
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  [[nodiscard]] Bytes bytes() const { return bytes_; }

 private:
  Layout& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes bytes_;
};

Message round_trip(const Message& message) {
  const Bytes payload = encode(message);
  auto decoded = decode(type_of(message), payload);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
  return decoded ? *decoded : Message{};
}

TEST(Messages, SamplesCoverEveryType) {
  std::set<MessageType> seen;
  for (const Message& m : test::samples()) seen.insert(type_of(m));
  EXPECT_EQ(seen, std::set<MessageType>(kAllMessageTypes.begin(), kAllMessageTypes.end()));
}

TEST(Messages, EveryTypeRoundTrips) {
  for (const Message& m : test::samples()) {
    SCOPED_TRACE(std::string(name(type_of(m))));
    EXPECT_EQ(round_trip(m), m);
  }
}

TEST(Messages, EveryTypeRoundTripsThroughAFrame) {
  std::uint64_t request_id = 100;
  for (const Message& m : test::samples()) {
    SCOPED_TRACE(std::string(name(type_of(m))));
    const std::uint64_t id = type_of(m) == MessageType::status_changed ? 0 : ++request_id;
    const Bytes frame = encode_frame(id, m);
    FrameAssembler assembler;
    std::span<const std::uint8_t> in(frame);
    auto assembled = assembler.next(in);
    ASSERT_TRUE(assembled.has_value()) << assembled.error().message();
    ASSERT_TRUE(assembled->has_value());
    const Frame& f = **assembled;
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(f.header.type, type_of(m));
    EXPECT_EQ(f.header.request_id, id);
    EXPECT_EQ(f.payload, encode(m));
    auto decoded = decode(f);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    EXPECT_EQ(*decoded, m);
  }
}

TEST(Messages, AResultHeadFollowedByItsDataIsTheResultsFrame) {
  Result r;
  r.status = 0x80070057;
  r.value = 0x0102030405060708;
  r.bytes = 70000;
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{70000}, std::size_t{kMaxResultDataSize}}) {
    SCOPED_TRACE(size);
    r.data.assign(size, 0);
    for (std::size_t i = 0; i < size; ++i) r.data[i] = static_cast<std::uint8_t>(i * 7U);
    Bytes sent = encode_result_head(42, r, size);
    sent.insert(sent.end(), r.data.begin(), r.data.end());
    EXPECT_EQ(sent, encode_frame(42, r));
  }
  EXPECT_THROW((void)encode_result_head(42, r, kMaxResultDataSize + 1), std::length_error);
}

TEST(Messages, CapsAreInclusive) {
  const Bytes longest_id(kMaxContentIdSize, 0x11);
  const Bytes shortest_id(kMinContentIdSize, 0x22);
  const std::vector<Message> at_caps = {
      Hello{1, 1, 2, 3, kMaxSharedBufferSize},
      PublishStream{longest_id, 0, 1, 0},
      PublishStream{shortest_id, 0, 1, 0},
      Unpublish{longest_id},
      OpenContentInformation{longest_id, 0, 0, 1, 2},
      AddToStream{1, true, InlineData{Bytes(kMaxInlineData, 0x33)}},
      AddToStream{1, true, InlineData{}},
      // The last byte a 64-bit range can end at.
      AddToStream{1, true, SharedData{0xFFFFFFFFFFFFFFFFULL - 0xFFFFFFFFULL, 0xFFFFFFFF}},
      AddContentInformation{1, InlineData{Bytes(kMaxInlineData, 0x35)}},
      AddContentInformation{1, InlineData{}},
      AddData{1, 0xFFFFFFFFFFFFFFFFULL, InlineData{Bytes(kMaxInlineData, 0x36)}},
      AddData{1, 0, SharedData{0xFFFFFFFFFFFFFFFFULL - 0xFFFFFFFFULL, 0xFFFFFFFF}},
      AddFileToStream{1, true, 0xFFFFFFFFFFFFFFFFULL - 0xFFFFFFFFULL, 0xFFFFFFFF},
      HelloReply{0, 1, 2, 2, 1, 2, std::string(kMaxServiceVersionSize, 'v')},
      HelloReply{0, 1, 2, 2, 1, 2, ""},
      Result{0, 0, 0, Bytes(kMaxResultDataSize, 0x44)},
      Result{0, 0, 0, {}},
  };
  for (const Message& m : at_caps) {
    SCOPED_TRACE(std::string(name(type_of(m))));
    EXPECT_EQ(round_trip(m), m);
    // The biggest messages still fit a frame.
    EXPECT_LE(encode(m).size(), kMaxPayload);
  }
}

TEST(Messages, EncodeRefusesFieldsPastTheirCaps) {
  const std::vector<Message> past_caps = {
      Hello{1, 1, 2, 3, kMaxSharedBufferSize + 1},
      PublishStream{{}, 0, 1, 0},
      PublishStream{Bytes(kMaxContentIdSize + 1, 0x11), 0, 1, 0},
      Unpublish{{}},
      OpenContentInformation{Bytes(kMaxContentIdSize + 1, 0x11), 0, 0, 1, 2},
      AddToStream{1, true, InlineData{Bytes(kMaxInlineData + 1, 0x33)}},
      AddToStream{1, true, SharedData{0xFFFFFFFFFFFFFFFFULL, 1}},
      AddContentInformation{1, InlineData{Bytes(kMaxInlineData + 1, 0x35)}},
      AddContentInformation{1, SharedData{0xFFFFFFFFFFFFFFFFULL, 1}},
      AddData{1, 0, InlineData{Bytes(kMaxInlineData + 1, 0x36)}},
      AddData{1, 0, SharedData{0xFFFFFFFFFFFFFFFFULL - 1, 2}},
      AddFileToStream{1, true, 0xFFFFFFFFFFFFFFFFULL, 1},
      HelloReply{0, 1, 2, 2, 1, 2, std::string(kMaxServiceVersionSize + 1, 'v')},
      Result{0, 0, 0, Bytes(kMaxResultDataSize + 1, 0x44)},
  };
  for (const Message& m : past_caps) {
    SCOPED_TRACE(std::string(name(type_of(m))));
    EXPECT_THROW((void)encode(m), std::length_error);
    EXPECT_THROW((void)encode_frame(1, m), std::length_error);
  }
}

// ---------------------------------------------------------------------------------------------
// Layouts, as in docs/ipc.md

void expect_layout(const Message& m, const Bytes& expected) {
  SCOPED_TRACE(std::string(name(type_of(m))));
  EXPECT_EQ(encode(m), expected);
  auto decoded = decode(type_of(m), expected);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(*decoded, m);
}

TEST(MessageLayout, SessionAndStatus) {
  expect_layout(Hello{1, 3, 0x0002, 0x01020304, 0x30000506ULL},
                Layout().u16(1).u16(3).u32(2).u32(0x01020304).u64(0x30000506ULL).bytes());
  expect_layout(GetStatus{}, {});
  expect_layout(RegisterStatusNotification{0x0A0B0C0D}, Layout().u32(0x0A0B0C0D).bytes());
  expect_layout(UnregisterStatusNotification{}, {});
  expect_layout(Cancel{0x0102030405060708ULL}, Layout().u64(0x0102030405060708ULL).bytes());
  expect_layout(Shutdown{}, {});
  expect_layout(ServiceInfo{}, {});
}

TEST(MessageLayout, Publishing) {
  expect_layout(PublishStream{{'a', 'b', 'c'}, 0x1122334455667788ULL, 2, 0x80000001},
                Layout().blob("abc").u64(0x1122334455667788ULL).u32(2).u32(0x80000001).bytes());
  expect_layout(AddToStream{5, true, InlineData{{9, 8, 7}}},
                Layout().u64(5).u8(1).u8(1).blob(Bytes{9, 8, 7}).bytes());
  expect_layout(AddToStream{6, false, SharedData{0x0000000100000002ULL, 0x03040506}},
                Layout().u64(6).u8(0).u8(2).u64(0x0000000100000002ULL).u32(0x03040506).bytes());
  expect_layout(AddFileToStream{7, true, 0x0000000100000002ULL, 0x03040506},
                Layout().u64(7).u8(1).u64(0x0000000100000002ULL).u32(0x03040506).bytes());
  expect_layout(CompleteStream{0xA1}, Layout().u64(0xA1).bytes());
  expect_layout(CloseStream{0xA2}, Layout().u64(0xA2).bytes());
  expect_layout(Unpublish{{'x'}}, Layout().blob("x").bytes());
  expect_layout(OpenContentInformation{{'i', 'd'}, 10, 20, 1, 2},
                Layout().blob("id").u64(10).u64(20).u32(1).u32(2).bytes());
  expect_layout(RetrieveContentInformation{0xB1, 4096}, Layout().u64(0xB1).u32(4096).bytes());
  expect_layout(CloseContentInformation{0xB2}, Layout().u64(0xB2).bytes());
}

TEST(MessageLayout, RetrievingContent) {
  ContentTag tag{};
  Layout tag_layout;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    tag[i] = static_cast<std::uint8_t>(0xF0 + i);
    tag_layout.u8(0xF0 + i);
  }
  // The tag is 16 raw bytes: no length before it.
  expect_layout(OpenContent{tag}, tag_layout.bytes());
  expect_layout(FlushContent{tag}, tag_layout.bytes());
  expect_layout(CloseContent{0xC1}, Layout().u64(0xC1).bytes());
  expect_layout(AddContentInformation{0xC2, InlineData{{1, 2}}},
                Layout().u64(0xC2).u8(1).blob(Bytes{1, 2}).bytes());
  expect_layout(AddContentInformation{0xC3, SharedData{0x0000000100000004ULL, 0x05060708}},
                Layout().u64(0xC3).u8(2).u64(0x0000000100000004ULL).u32(0x05060708).bytes());
  expect_layout(CompleteContentInformation{0xC4}, Layout().u64(0xC4).bytes());
  expect_layout(AddData{0xC5, 0x0000000900000010ULL, InlineData{{7}}},
                Layout().u64(0xC5).u64(0x0000000900000010ULL).u8(1).blob(Bytes{7}).bytes());
  expect_layout(AddData{0xC6, 0x20, SharedData{0x40, 0x50}},
                Layout().u64(0xC6).u64(0x20).u8(2).u64(0x40).u32(0x50).bytes());
  expect_layout(
      BlockRead{0xC7, 0x0000000A0000000BULL, 0x0C0D0E0F, 0xFFFFFFFE},
      Layout().u64(0xC7).u64(0x0000000A0000000BULL).u32(0x0C0D0E0F).u32(0xFFFFFFFE).bytes());
  expect_layout(StreamRead{0xC8, 0x10111213, 0}, Layout().u64(0xC8).u32(0x10111213).u32(0).bytes());
  expect_layout(GetClientInformation{0xC9, 0x01020304}, Layout().u64(0xC9).u32(0x01020304).bytes());
  expect_layout(CacheInfo{}, {});
  expect_layout(CacheClear{}, {});
}

TEST(MessageLayout, DaemonToClient) {
  expect_layout(HelloReply{4062, 1, 2, 1, 1, 2, "v9"},
                Layout().u32(4062).u16(1).u32(2).u32(1).u32(1).u32(2).blob("v9").bytes());
  expect_layout(
      Result{4053, 0x0000000700000008ULL, 3, {0xC0, 0xC1, 0xC2}},
      Layout().u32(4053).u64(0x0000000700000008ULL).u32(3).blob(Bytes{0xC0, 0xC1, 0xC2}).bytes());
  expect_layout(StatusChanged{2, 1, 2}, Layout().u32(2).u32(1).u32(2).bytes());
}

TEST(MessageLayout, FrameIsHeaderThenPayload) {
  const Message m = CloseStream{0x42};
  const Bytes frame = encode_frame(0x77, m);
  const auto header = encode_header(FrameHeader{MessageType::close_stream, 8, 0x77});
  Bytes expected(header.begin(), header.end());
  const Bytes payload = Layout().u64(0x42).bytes();
  expected.insert(expected.end(), payload.begin(), payload.end());
  EXPECT_EQ(frame, expected);
}

}  // namespace
}  // namespace peerdist::ipc
