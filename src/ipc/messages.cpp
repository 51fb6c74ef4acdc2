// The payload of every message: for each one, its encoder (put) and decoder (get) side by
// side, field by field, in the order they travel. docs/ipc.md has the same layouts as tables.
#include "peerdist/ipc/messages.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "peerdist/util/byte_writer.hpp"
#include "peerdist/util/checked.hpp"

#include "fields.hpp"

namespace peerdist::ipc {
namespace {

using detail::FieldReader;
using detail::FieldWriter;
using util::DecodeError;

// --- Session and status ----------------------------------------------------------------------

void put(FieldWriter& w, const Hello& m) {
  w.u16(m.min_protocol);
  w.u16(m.max_protocol);
  w.u32(m.api_version);
  w.u32(m.client_pid);
  FieldWriter::require(m.shared_buffer_size <= kMaxSharedBufferSize);
  w.u64(m.shared_buffer_size);
}
void get(FieldReader& r, Hello& m) {
  m.min_protocol = r.u16("min_protocol");
  m.max_protocol = r.u16("max_protocol");
  m.api_version = r.u32("api_version");
  m.client_pid = r.u32("client_pid");
  m.shared_buffer_size = r.u64_at_most("shared_buffer_size", kMaxSharedBufferSize);
}

void put(FieldWriter& /*w*/, const GetStatus& /*m*/) {}
void get(FieldReader& /*r*/, GetStatus& /*m*/) {}

void put(FieldWriter& w, const RegisterStatusNotification& m) {
  w.u32(m.baseline_status);
}
void get(FieldReader& r, RegisterStatusNotification& m) {
  m.baseline_status = r.u32("baseline_status");
}

void put(FieldWriter& /*w*/, const UnregisterStatusNotification& /*m*/) {}
void get(FieldReader& /*r*/, UnregisterStatusNotification& /*m*/) {}

void put(FieldWriter& w, const Cancel& m) {
  w.u64(m.target_request_id);
}
void get(FieldReader& r, Cancel& m) {
  m.target_request_id = r.u64("target_request_id");
}

void put(FieldWriter& /*w*/, const Shutdown& /*m*/) {}
void get(FieldReader& /*r*/, Shutdown& /*m*/) {}

void put(FieldWriter& /*w*/, const ServiceInfo& /*m*/) {}
void get(FieldReader& /*r*/, ServiceInfo& /*m*/) {}

// --- Publishing ------------------------------------------------------------------------------

void put(FieldWriter& w, const PublishStream& m) {
  w.blob(m.content_id, kMinContentIdSize, kMaxContentIdSize);
  w.u64(m.content_length);
  w.u32(m.options_version);
  w.u32(m.options_flags);
}
void get(FieldReader& r, PublishStream& m) {
  m.content_id = r.blob("content_id", kMinContentIdSize, kMaxContentIdSize);
  m.content_length = r.u64("content_length");
  m.options_version = r.u32("options_version");
  m.options_flags = r.u32("options_flags");
}

// A DataRef: the u8 tag, then the alternative's fields (docs/ipc.md). Shared by every message
// that carries data, so each has the same rules and the same field names ("data.*").
void put_data(FieldWriter& w, const DataRef& data) {
  if (const auto* inline_data = std::get_if<InlineData>(&data)) {
    w.u8(static_cast<std::uint8_t>(DataTag::inline_data));
    w.blob(inline_data->bytes, 0, kMaxInlineData);
  } else {
    const auto& shared = std::get<SharedData>(data);
    FieldWriter::require(
        util::checked_add<std::uint64_t>(shared.offset, shared.length).has_value());
    w.u8(static_cast<std::uint8_t>(DataTag::shared_data));
    w.u64(shared.offset);
    w.u32(shared.length);
  }
}
DataRef get_data(FieldReader& r) {
  const std::size_t tag_at = r.offset();
  const std::uint8_t tag = r.u8("data.tag");
  if (tag == static_cast<std::uint8_t>(DataTag::inline_data)) {
    return InlineData{r.blob("data.bytes", 0, kMaxInlineData)};
  }
  if (tag == static_cast<std::uint8_t>(DataTag::shared_data)) {
    SharedData shared;
    shared.offset = r.u64("data.offset");
    const std::size_t length_at = r.offset();
    shared.length = r.u32("data.length");
    // A range that wraps around 2^64 would pass a naive "offset + length <= size" check.
    if (!util::checked_add<std::uint64_t>(shared.offset, shared.length)) {
      r.fail(length_at, "data.length", "offset + length overflows 64 bits");
    }
    return shared;
  }
  r.fail(tag_at, "data.tag", "must be 1 (inline) or 2 (shared buffer), got " + std::to_string(tag));
  return InlineData{};
}

void put(FieldWriter& w, const AddToStream& m) {
  w.u64(m.stream);
  w.flag(m.last_piece);
  put_data(w, m.data);
}
void get(FieldReader& r, AddToStream& m) {
  m.stream = r.u64("stream");
  m.last_piece = r.flag("last_piece");
  m.data = get_data(r);
}

void put(FieldWriter& w, const AddFileToStream& m) {
  FieldWriter::require(util::checked_add<std::uint64_t>(m.offset, m.length).has_value());
  w.u64(m.stream);
  w.flag(m.last_piece);
  w.u64(m.offset);
  w.u32(m.length);
}
void get(FieldReader& r, AddFileToStream& m) {
  m.stream = r.u64("stream");
  m.last_piece = r.flag("last_piece");
  m.offset = r.u64("offset");
  const std::size_t length_at = r.offset();
  m.length = r.u32("length");
  if (!util::checked_add<std::uint64_t>(m.offset, m.length)) {
    r.fail(length_at, "length", "offset + length overflows 64 bits");
  }
}

void put(FieldWriter& w, const CompleteStream& m) {
  w.u64(m.stream);
}
void get(FieldReader& r, CompleteStream& m) {
  m.stream = r.u64("stream");
}

void put(FieldWriter& w, const CloseStream& m) {
  w.u64(m.stream);
}
void get(FieldReader& r, CloseStream& m) {
  m.stream = r.u64("stream");
}

void put(FieldWriter& w, const Unpublish& m) {
  w.blob(m.content_id, kMinContentIdSize, kMaxContentIdSize);
}
void get(FieldReader& r, Unpublish& m) {
  m.content_id = r.blob("content_id", kMinContentIdSize, kMaxContentIdSize);
}

void put(FieldWriter& w, const OpenContentInformation& m) {
  w.blob(m.content_id, kMinContentIdSize, kMaxContentIdSize);
  w.u64(m.offset);
  w.u64(m.length);
  w.u32(m.min_version);
  w.u32(m.max_version);
}
void get(FieldReader& r, OpenContentInformation& m) {
  m.content_id = r.blob("content_id", kMinContentIdSize, kMaxContentIdSize);
  m.offset = r.u64("offset");
  m.length = r.u64("length");
  m.min_version = r.u32("min_version");
  m.max_version = r.u32("max_version");
}

void put(FieldWriter& w, const RetrieveContentInformation& m) {
  w.u64(m.content_info);
  w.u32(m.max_bytes);
}
void get(FieldReader& r, RetrieveContentInformation& m) {
  m.content_info = r.u64("content_info");
  m.max_bytes = r.u32("max_bytes");
}

void put(FieldWriter& w, const CloseContentInformation& m) {
  w.u64(m.content_info);
}
void get(FieldReader& r, CloseContentInformation& m) {
  m.content_info = r.u64("content_info");
}

// --- Retrieving content ----------------------------------------------------------------------

// A content tag is 16 bytes with no length: the size is fixed by PEERDIST_CONTENT_TAG.
void put_tag(FieldWriter& w, const ContentTag& tag) {
  for (const std::uint8_t b : tag) w.u8(b);
}
ContentTag get_tag(FieldReader& r) {
  ContentTag tag{};
  for (std::uint8_t& b : tag) b = r.u8("tag");
  return tag;
}

void put(FieldWriter& w, const OpenContent& m) {
  put_tag(w, m.tag);
}
void get(FieldReader& r, OpenContent& m) {
  m.tag = get_tag(r);
}

void put(FieldWriter& w, const CloseContent& m) {
  w.u64(m.content);
}
void get(FieldReader& r, CloseContent& m) {
  m.content = r.u64("content");
}

void put(FieldWriter& w, const AddContentInformation& m) {
  w.u64(m.content);
  put_data(w, m.data);
}
void get(FieldReader& r, AddContentInformation& m) {
  m.content = r.u64("content");
  m.data = get_data(r);
}

void put(FieldWriter& w, const CompleteContentInformation& m) {
  w.u64(m.content);
}
void get(FieldReader& r, CompleteContentInformation& m) {
  m.content = r.u64("content");
}

void put(FieldWriter& w, const AddData& m) {
  w.u64(m.content);
  w.u64(m.offset);
  put_data(w, m.data);
}
void get(FieldReader& r, AddData& m) {
  m.content = r.u64("content");
  m.offset = r.u64("offset");
  m.data = get_data(r);
}

void put(FieldWriter& w, const BlockRead& m) {
  w.u64(m.content);
  w.u64(m.offset);
  w.u32(m.max_bytes);
  w.u32(m.timeout_ms);
}
void get(FieldReader& r, BlockRead& m) {
  m.content = r.u64("content");
  m.offset = r.u64("offset");
  m.max_bytes = r.u32("max_bytes");
  m.timeout_ms = r.u32("timeout_ms");
}

void put(FieldWriter& w, const StreamRead& m) {
  w.u64(m.content);
  w.u32(m.max_bytes);
  w.u32(m.timeout_ms);
}
void get(FieldReader& r, StreamRead& m) {
  m.content = r.u64("content");
  m.max_bytes = r.u32("max_bytes");
  m.timeout_ms = r.u32("timeout_ms");
}

void put(FieldWriter& w, const FlushContent& m) {
  put_tag(w, m.tag);
}
void get(FieldReader& r, FlushContent& m) {
  m.tag = get_tag(r);
}

void put(FieldWriter& w, const GetClientInformation& m) {
  w.u64(m.content);
  w.u32(m.info_class);
}
void get(FieldReader& r, GetClientInformation& m) {
  m.content = r.u64("content");
  m.info_class = r.u32("info_class");
}

void put(FieldWriter& /*w*/, const CacheInfo& /*m*/) {}
void get(FieldReader& /*r*/, CacheInfo& /*m*/) {}

void put(FieldWriter& /*w*/, const CacheClear& /*m*/) {}
void get(FieldReader& /*r*/, CacheClear& /*m*/) {}

// --- Daemon to client ------------------------------------------------------------------------

void put(FieldWriter& w, const HelloReply& m) {
  w.u32(m.status);
  w.u16(m.protocol);
  w.u32(m.api_version);
  w.u32(m.service_status);
  w.u32(m.min_ci_version);
  w.u32(m.max_ci_version);
  w.text(m.service_version, kMaxServiceVersionSize);
}
void get(FieldReader& r, HelloReply& m) {
  m.status = r.u32("status");
  m.protocol = r.u16("protocol");
  m.api_version = r.u32("api_version");
  m.service_status = r.u32("service_status");
  m.min_ci_version = r.u32("min_ci_version");
  m.max_ci_version = r.u32("max_ci_version");
  m.service_version = r.text("service_version", kMaxServiceVersionSize);
}

void put(FieldWriter& w, const Result& m) {
  w.u32(m.status);
  w.u64(m.value);
  w.u32(m.bytes);
  w.blob(m.data, 0, kMaxResultDataSize);
}
void get(FieldReader& r, Result& m) {
  m.status = r.u32("status");
  m.value = r.u64("value");
  m.bytes = r.u32("bytes");
  m.data = r.blob("data", 0, kMaxResultDataSize);
}

void put(FieldWriter& w, const StatusChanged& m) {
  w.u32(m.service_status);
  w.u32(m.min_ci_version);
  w.u32(m.max_ci_version);
}
void get(FieldReader& r, StatusChanged& m) {
  m.service_status = r.u32("service_status");
  m.min_ci_version = r.u32("min_ci_version");
  m.max_ci_version = r.u32("max_ci_version");
}

// --- Dispatch --------------------------------------------------------------------------------

// Every MessageType has exactly one alternative in Message, and the other way round.
template <std::size_t... I>
consteval bool types_match_alternatives(std::index_sequence<I...> /*unused*/) {
  constexpr std::array<MessageType, sizeof...(I)> kOfAlternatives = {
      std::variant_alternative_t<I, Message>::kType...};
  return kOfAlternatives.size() == kAllMessageTypes.size() &&
         std::all_of(kAllMessageTypes.begin(), kAllMessageTypes.end(), [&](MessageType type) {
           return std::count(kOfAlternatives.begin(), kOfAlternatives.end(), type) == 1;
         });
}
static_assert(types_match_alternatives(std::make_index_sequence<std::variant_size_v<Message>>{}));

template <class T>
Expected<Message, DecodeError> decode_as(std::span<const std::uint8_t> payload) {
  T message;
  FieldReader r(payload, name(T::kType));
  get(r, message);
  return r.finish<Message>(std::move(message));
}

template <std::size_t... I>
Expected<Message, DecodeError> decode_any(MessageType type, std::span<const std::uint8_t> payload,
                                          std::index_sequence<I...> /*unused*/) {
  std::optional<Expected<Message, DecodeError>> out;
  // Exactly one alternative matches (static_assert above); || stops at it.
  (void)((std::variant_alternative_t<I, Message>::kType == type &&
          (out.emplace(decode_as<std::variant_alternative_t<I, Message>>(payload)), true)) ||
         ...);
  // Only a value cast from outside the enum gets here; decode_header never yields one.
  if (!out) {
    return Unexpected(DecodeError{
        "type", 0, "unknown message type " + std::to_string(static_cast<unsigned>(type))});
  }
  return std::move(*out);
}

// Payload sizes beyond the fixed fields, so that a 4 MiB piece is copied once.
std::size_t variable_size(const Message& message) {
  const auto inline_size = [](const DataRef& data) -> std::size_t {
    const auto* d = std::get_if<InlineData>(&data);
    return d != nullptr ? d->bytes.size() : 0;
  };
  if (const auto* m = std::get_if<AddToStream>(&message)) return inline_size(m->data);
  if (const auto* m = std::get_if<AddData>(&message)) return inline_size(m->data);
  if (const auto* m = std::get_if<AddContentInformation>(&message)) return inline_size(m->data);
  if (const auto* m = std::get_if<Result>(&message)) return m->data.size();
  if (const auto* m = std::get_if<PublishStream>(&message)) return m->content_id.size();
  if (const auto* m = std::get_if<OpenContentInformation>(&message)) return m->content_id.size();
  if (const auto* m = std::get_if<Unpublish>(&message)) return m->content_id.size();
  if (const auto* m = std::get_if<HelloReply>(&message)) return m->service_version.size();
  return 0;
}
constexpr std::size_t kLargestFixedFields = 64;

void encode_into(util::ByteWriter& out, const Message& message) {
  FieldWriter w(out);
  std::visit([&w](const auto& m) { put(w, m); }, message);
}

}  // namespace

MessageType type_of(const Message& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

std::vector<std::uint8_t> encode(const Message& message) {
  util::ByteWriter out(kLargestFixedFields + variable_size(message));
  encode_into(out, message);
  return std::move(out).take();
}

std::vector<std::uint8_t> encode_frame(std::uint64_t request_id, const Message& message) {
  util::ByteWriter out(kHeaderSize + kLargestFixedFields + variable_size(message));
  for (std::size_t i = 0; i < kHeaderSize; ++i) out.u8(0);  // the header, once the length is known
  encode_into(out, message);
  std::vector<std::uint8_t> frame = std::move(out).take();
  const std::size_t payload_length = frame.size() - kHeaderSize;
  assert(payload_length <= kMaxPayload);
  const auto header = encode_header(
      FrameHeader{type_of(message), static_cast<std::uint32_t>(payload_length), request_id});
  std::copy(header.begin(), header.end(), frame.begin());
  return frame;
}

std::vector<std::uint8_t> encode_result_head(std::uint64_t request_id, const Result& result,
                                             std::size_t data_size) {
  if (data_size > kMaxResultDataSize) throw std::length_error("Result data past its cap");
  util::ByteWriter out(kHeaderSize + kLargestFixedFields);
  for (std::size_t i = 0; i < kHeaderSize; ++i) out.u8(0);  // the header, once the length is known
  // put(FieldWriter&, const Result&) without the blob's bytes.
  out.u32le(result.status);
  out.u64le(result.value);
  out.u32le(result.bytes);
  out.u32le(static_cast<std::uint32_t>(data_size));
  std::vector<std::uint8_t> head = std::move(out).take();
  const std::size_t payload_length = head.size() - kHeaderSize + data_size;
  assert(payload_length <= kMaxPayload);
  const auto header = encode_header(
      FrameHeader{MessageType::result, static_cast<std::uint32_t>(payload_length), request_id});
  std::copy(header.begin(), header.end(), head.begin());
  return head;
}

Expected<Message, DecodeError> decode(MessageType type, std::span<const std::uint8_t> payload) {
  return decode_any(type, payload, std::make_index_sequence<std::variant_size_v<Message>>{});
}

}  // namespace peerdist::ipc
