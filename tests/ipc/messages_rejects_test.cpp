// decode() refuses every payload no correct peer sends: each cap broken by one, each bad tag
// and flag, every truncation and trailing bytes; the error names the field and its offset.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "peerdist/ipc/messages.hpp"

#include "message_samples.hpp"

namespace peerdist::ipc {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put_u32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_blob(Bytes& b, std::size_t length) {
  put_u32(b, static_cast<std::uint32_t>(length));
  b.insert(b.end(), length, 0x5C);
}

void expect_reject(MessageType type, const Bytes& payload, const std::string& field,
                   std::uint64_t offset) {
  auto decoded = decode(type, payload);
  ASSERT_FALSE(decoded.has_value()) << name(type) << ": accepted; expected an error in " << field;
  EXPECT_EQ(decoded.error().field, field) << decoded.error().message();
  EXPECT_EQ(decoded.error().offset, offset) << decoded.error().message();
  EXPECT_FALSE(decoded.error().reason.empty());
}

TEST(MessageRejects, EveryTruncation) {
  for (const Message& m : test::samples()) {
    const Bytes payload = encode(m);
    const std::string prefix = std::string(name(type_of(m))) + ".";
    for (std::size_t n = 0; n < payload.size(); ++n) {
      auto decoded = decode(
          type_of(m), Bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n)));
      ASSERT_FALSE(decoded.has_value()) << prefix << " accepted " << n << " of " << payload.size();
      EXPECT_TRUE(decoded.error().field.starts_with(prefix)) << decoded.error().message();
      EXPECT_LE(decoded.error().offset, n) << decoded.error().message();
    }
  }
}

TEST(MessageRejects, TrailingBytes) {
  for (const Message& m : test::samples()) {
    Bytes payload = encode(m);
    const std::size_t end = payload.size();
    payload.push_back(0);
    expect_reject(type_of(m), payload, std::string(name(type_of(m))), end);
  }
}

TEST(MessageRejects, PayloadOfAnotherType) {
  // Close and Complete have the same layout; a Result's payload is longer than a Cancel's.
  const Bytes result = encode(Result{0, 1, 2, {3}});
  expect_reject(MessageType::cancel, result, "Cancel", 8);
}

TEST(MessageRejects, ContentIdLengthCaps) {
  struct Case {
    MessageType type;
    const char* field;
  };
  for (const Case c :
       {Case{MessageType::publish_stream, "PublishStream.content_id"},
        Case{MessageType::unpublish, "Unpublish.content_id"},
        Case{MessageType::open_content_information, "OpenContentInformation.content_id"}}) {
    for (const std::size_t length : {std::size_t{0}, std::size_t{kMaxContentIdSize} + 1}) {
      // The identifier is the first field; what follows it does not matter.
      Bytes payload;
      put_blob(payload, length);
      payload.resize(payload.size() + 32);
      expect_reject(c.type, payload, c.field, 0);
    }
    // A length the payload does not hold: the error is at the bytes that are missing.
    Bytes short_payload;
    put_u32(short_payload, 100);
    short_payload.resize(4 + 10);
    expect_reject(c.type, short_payload, c.field, 4);
  }
}

// The messages that carry a DataRef, with the bytes before it (their fixed fields).
struct DataCarrier {
  MessageType type;
  std::string name;
  Bytes before_data;
};
std::vector<DataCarrier> data_carriers() {
  Bytes add_to_stream;
  put_u64(add_to_stream, 1);
  add_to_stream.push_back(0);  // last_piece
  Bytes add_content_information;
  put_u64(add_content_information, 2);
  Bytes add_data;
  put_u64(add_data, 3);
  put_u64(add_data, 0x1000);
  return {{MessageType::add_to_stream, "AddToStream", add_to_stream},
          {MessageType::add_content_information, "AddContentInformation", add_content_information},
          {MessageType::add_data, "AddData", add_data}};
}

TEST(MessageRejects, InlineDataCap) {
  for (const DataCarrier& c : data_carriers()) {
    Bytes payload = c.before_data;
    payload.push_back(1);  // inline
    put_blob(payload, std::size_t{kMaxInlineData} + 1);
    expect_reject(c.type, payload, c.name + ".data.bytes", c.before_data.size() + 1);
  }
}

TEST(MessageRejects, ResultDataCap) {
  Bytes payload;
  put_u32(payload, 0);
  put_u64(payload, 0);
  put_u32(payload, 0);
  put_blob(payload, std::size_t{kMaxResultDataSize} + 1);
  expect_reject(MessageType::result, payload, "Result.data", 16);
}

TEST(MessageRejects, ServiceVersionCap) {
  Bytes payload = encode(HelloReply{0, 1, 2, 2, 1, 2, ""});
  payload.resize(payload.size() - 4);  // drop the empty string's length
  put_blob(payload, std::size_t{kMaxServiceVersionSize} + 1);
  expect_reject(MessageType::hello_reply, payload, "HelloReply.service_version", 22);
}

TEST(MessageRejects, SharedBufferSizeCap) {
  Bytes payload = encode(Hello{1, 1, 2, 3, 0});
  payload.resize(12);
  put_u64(payload, kMaxSharedBufferSize + 1);
  expect_reject(MessageType::hello, payload, "Hello.shared_buffer_size", 12);
}

TEST(MessageRejects, DataTags) {
  for (const DataCarrier& c : data_carriers()) {
    for (const int tag : {0, 3, 0x81, 0xFF}) {
      Bytes payload = c.before_data;
      payload.push_back(static_cast<std::uint8_t>(tag));
      put_u64(payload, 0);  // what a shared-data range would hold
      put_u32(payload, 0);
      expect_reject(c.type, payload, c.name + ".data.tag", c.before_data.size());
    }
  }
}

TEST(MessageRejects, LastPieceIsABoolean) {
  for (const int flag : {2, 0x80, 0xFF}) {
    Bytes payload = encode(AddToStream{1, true, SharedData{0, 1}});
    payload[8] = static_cast<std::uint8_t>(flag);
    expect_reject(MessageType::add_to_stream, payload, "AddToStream.last_piece", 8);
    payload = encode(AddFileToStream{1, true, 0, 1});
    payload[8] = static_cast<std::uint8_t>(flag);
    expect_reject(MessageType::add_file_to_stream, payload, "AddFileToStream.last_piece", 8);
  }
}

TEST(MessageRejects, FileRangeThatWraps) {
  Bytes payload;
  put_u64(payload, 1);
  payload.push_back(1);
  put_u64(payload, 0xFFFFFFFFFFFFFFFFULL - 9);
  put_u32(payload, 10);
  expect_reject(MessageType::add_file_to_stream, payload, "AddFileToStream.length", 17);
  // Short, and one trailing byte.
  Bytes ok = encode(AddFileToStream{1, false, 2, 3});
  ASSERT_EQ(ok.size(), 21U);
  expect_reject(MessageType::add_file_to_stream, Bytes(ok.begin(), ok.end() - 1),
                "AddFileToStream.length", 17);
  ok.push_back(0);
  expect_reject(MessageType::add_file_to_stream, ok, "AddFileToStream", 21);
}

TEST(MessageRejects, SharedRangeThatWraps) {
  for (const DataCarrier& c : data_carriers()) {
    Bytes payload = c.before_data;
    payload.push_back(2);
    put_u64(payload, 0xFFFFFFFFFFFFFFFFULL - 9);
    put_u32(payload, 10);
    expect_reject(c.type, payload, c.name + ".data.length", c.before_data.size() + 9);
  }
}

TEST(MessageRejects, ContentTagIsSixteenBytes) {
  // No length precedes a tag, so 15 bytes are short and 17 have one trailing.
  for (const auto& [type, name] : {std::pair{MessageType::open_content, "OpenContent"},
                                   std::pair{MessageType::flush_content, "FlushContent"}}) {
    expect_reject(type, Bytes(15, 0xAB), std::string(name) + ".tag", 15);
    expect_reject(type, Bytes(17, 0xAB), name, 16);
    EXPECT_TRUE(decode(type, Bytes(16, 0xAB)).has_value());
  }
}

TEST(MessageRejects, FirstErrorWins) {
  // A bad last_piece, then a bad tag and nothing after it: the first is reported.
  Bytes payload;
  put_u64(payload, 1);
  payload.push_back(7);  // bad last_piece
  payload.push_back(9);  // bad tag
  expect_reject(MessageType::add_to_stream, payload, "AddToStream.last_piece", 8);
}

TEST(MessageRejects, TypeOutsideTheEnum) {
  expect_reject(static_cast<MessageType>(0x7777), {}, "type", 0);
}

}  // namespace
}  // namespace peerdist::ipc
