#include "peerdist/ipc/frame.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/util/byte_writer.hpp"

namespace peerdist::ipc {
namespace {

using util::ByteReader;
using util::DecodeError;

// Field offsets inside the header, for errors about a value that was read whole.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kTypeAt = 6;
constexpr std::size_t kPayloadLengthAt = 8;
constexpr std::size_t kFlagsAt = 12;
constexpr std::size_t kRequestIdAt = 16;

// "0x0053", zero-padded to `digits` hex digits.
std::string hex(std::uint64_t value, int digits) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out = "0x";
  for (int i = digits - 1; i >= 0; --i) out += kDigits[(value >> (4 * i)) & 0xFU];
  return out;
}

Unexpected<DecodeError> fail(std::size_t offset, std::string_view field, std::string reason) {
  return Unexpected(ByteReader::error_at(offset, field, std::move(reason)));
}

}  // namespace

std::optional<MessageType> message_type_from(std::uint16_t value) noexcept {
  for (const MessageType type : kAllMessageTypes) {
    if (static_cast<std::uint16_t>(type) == value) return type;
  }
  return std::nullopt;
}

std::string_view name(MessageType type) noexcept {
  switch (type) {
    case MessageType::hello: return "Hello";
    case MessageType::get_status: return "GetStatus";
    case MessageType::register_status_notification: return "RegisterStatusNotification";
    case MessageType::unregister_status_notification: return "UnregisterStatusNotification";
    case MessageType::cancel: return "Cancel";
    case MessageType::shutdown: return "Shutdown";
    case MessageType::service_info: return "ServiceInfo";
    case MessageType::publish_stream: return "PublishStream";
    case MessageType::add_to_stream: return "AddToStream";
    case MessageType::complete_stream: return "CompleteStream";
    case MessageType::close_stream: return "CloseStream";
    case MessageType::unpublish: return "Unpublish";
    case MessageType::add_file_to_stream: return "AddFileToStream";
    case MessageType::open_content_information: return "OpenContentInformation";
    case MessageType::retrieve_content_information: return "RetrieveContentInformation";
    case MessageType::close_content_information: return "CloseContentInformation";
    case MessageType::open_content: return "OpenContent";
    case MessageType::close_content: return "CloseContent";
    case MessageType::add_content_information: return "AddContentInformation";
    case MessageType::complete_content_information: return "CompleteContentInformation";
    case MessageType::add_data: return "AddData";
    case MessageType::block_read: return "BlockRead";
    case MessageType::stream_read: return "StreamRead";
    case MessageType::flush_content: return "FlushContent";
    case MessageType::get_client_information: return "GetClientInformation";
    case MessageType::cache_info: return "CacheInfo";
    case MessageType::cache_clear: return "CacheClear";
    case MessageType::hello_reply: return "HelloReply";
    case MessageType::result: return "Result";
    case MessageType::status_changed: return "StatusChanged";
  }
  return "unknown";
}

Expected<FrameHeader, DecodeError> decode_header(std::span<const std::uint8_t, kHeaderSize> bytes) {
  // The span is exactly kHeaderSize bytes, so none of these reads can run short.
  ByteReader r(bytes);
  const std::uint32_t magic = *r.u32le("magic");
  const std::uint16_t version = *r.u16le("version");
  const std::uint16_t type = *r.u16le("type");
  const std::uint32_t payload_length = *r.u32le("payload_length");
  const std::uint32_t flags = *r.u32le("flags");
  const std::uint64_t request_id = *r.u64le("request_id");

  if (magic != kMagic) {
    return fail(kMagicAt, "magic",
                "must be " + hex(kMagic, 8) + " (\"PDIS\"), got " + hex(magic, 8));
  }
  if (version != kFrameVersion) {
    return fail(kVersionAt, "version",
                "must be " + std::to_string(kFrameVersion) + ", got " + std::to_string(version));
  }
  const auto known = message_type_from(type);
  if (!known) return fail(kTypeAt, "type", "unknown message type " + hex(type, 4));
  if (payload_length > kMaxPayload) {
    return fail(
        kPayloadLengthAt, "payload_length",
        std::to_string(payload_length) + " exceeds the limit of " + std::to_string(kMaxPayload));
  }
  if (flags != 0) return fail(kFlagsAt, "flags", "reserved, must be 0, got " + hex(flags, 8));
  // 0 means "unsolicited": a reply with id 0 could not be matched to its request, and an event
  // with an id could be mistaken for one.
  const bool unsolicited = *known == MessageType::status_changed;
  if (unsolicited && request_id != 0) {
    return fail(kRequestIdAt, "request_id",
                "must be 0 for StatusChanged, got " + std::to_string(request_id));
  }
  if (!unsolicited && request_id == 0) {
    return fail(kRequestIdAt, "request_id", "must not be 0 for " + std::string(name(*known)));
  }
  return FrameHeader{*known, payload_length, request_id};
}

std::array<std::uint8_t, kHeaderSize> encode_header(const FrameHeader& header) {
  assert(header.payload_length <= kMaxPayload);
  util::ByteWriter w(kHeaderSize);
  w.u32le(kMagic);
  w.u16le(kFrameVersion);
  w.u16le(static_cast<std::uint16_t>(header.type));
  w.u32le(header.payload_length);
  w.u32le(0);  // flags
  w.u64le(header.request_id);
  std::array<std::uint8_t, kHeaderSize> out{};
  std::copy(w.view().begin(), w.view().end(), out.begin());
  return out;
}

Expected<std::optional<Frame>, DecodeError> FrameAssembler::next(
    std::span<const std::uint8_t>& input) {
  if (error_) return Unexpected(*error_);

  if (!header_) {
    const std::size_t take = std::min(kHeaderSize - header_filled_, input.size());
    std::copy_n(input.begin(), take,
                header_bytes_.begin() + static_cast<std::ptrdiff_t>(header_filled_));
    if (header_filled_ == 0) frame_start_ = consumed_;
    header_filled_ += take;
    consumed_ += take;
    input = input.subspan(take);
    if (header_filled_ < kHeaderSize) return std::optional<Frame>{};

    auto header = decode_header(header_bytes_);
    if (!header) {
      DecodeError error = std::move(header).error();
      error.offset += frame_start_;
      error_ = error;
      return Unexpected(std::move(error));
    }
    header_ = *header;
    payload_.clear();
  }

  // Bounded by payload_length <= kMaxPayload, checked above.
  const std::size_t missing = header_->payload_length - payload_.size();
  const std::size_t take = std::min(missing, input.size());
  payload_.insert(payload_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
  consumed_ += take;
  input = input.subspan(take);
  if (take < missing) return std::optional<Frame>{};

  Frame frame{*header_, std::move(payload_)};
  header_.reset();
  header_filled_ = 0;
  payload_ = {};
  return std::optional<Frame>(std::move(frame));
}

}  // namespace peerdist::ipc
