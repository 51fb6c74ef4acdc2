// The messages of the local protocol (docs/ipc.md): one plain struct per message, and the
// codec between them and frame payloads. Field names follow docs/ipc.md, and decode errors
// name fields as "<Message>.<field>", so a field's encoder and decoder are found by its name.
//
// The codec rejects only what no correct peer sends: bad lengths, caps, tags, trailing bytes.
// Values an application chose (versions, offsets, option flags, handle ids) pass through, so
// that the daemon can answer a bad one with a Win32 error instead of closing the connection.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::ipc {

// The only message-set version so far (Hello negotiates it).
inline constexpr std::uint16_t kProtocolVersion = 1;

// Per-field caps. The library checks an application's parameters against them first and
// returns ERROR_INVALID_PARAMETER; encode() throws on a field past its cap.
inline constexpr std::uint32_t kMinContentIdSize = 1;
inline constexpr std::uint32_t kMaxContentIdSize = 65536;
inline constexpr std::uint32_t kMaxServiceVersionSize = 256;
inline constexpr std::uint32_t kMaxResultDataSize = kMaxInlineData;
// The daemon maps a client's shared buffer whole; 1 GiB is far more than any sensible pipeline
// of pieces needs, and keeps a client from asking the daemon to map absurd sizes.
inline constexpr std::uint64_t kMaxSharedBufferSize = 1ULL << 30U;

using Blob = std::vector<std::uint8_t>;
// PEERDIST_CONTENT_TAG: an application's label for the content it added, for FlushContent.
inline constexpr std::size_t kContentTagSize = 16;
using ContentTag = std::array<std::uint8_t, kContentTagSize>;

// ---------------------------------------------------------------------------------------------
// Client -> daemon

// The first request on a connection. The shared buffer's descriptor travels as SCM_RIGHTS with
// this frame; shared_buffer_size 0 means there is none.
struct Hello {
  static constexpr MessageType kType = MessageType::hello;
  std::uint16_t min_protocol = 0;
  std::uint16_t max_protocol = 0;
  std::uint32_t api_version = 0;  // PeerDistStartup's dwVersionRequested
  std::uint32_t client_pid = 0;
  std::uint64_t shared_buffer_size = 0;  // <= kMaxSharedBufferSize
  friend bool operator==(const Hello&, const Hello&) = default;
};

struct GetStatus {
  static constexpr MessageType kType = MessageType::get_status;
  friend bool operator==(const GetStatus&, const GetStatus&) = default;
};

struct RegisterStatusNotification {
  static constexpr MessageType kType = MessageType::register_status_notification;
  std::uint32_t baseline_status = 0;  // PEERDIST_STATUS last reported to the application
  friend bool operator==(const RegisterStatusNotification&,
                         const RegisterStatusNotification&) = default;
};

struct UnregisterStatusNotification {
  static constexpr MessageType kType = MessageType::unregister_status_notification;
  friend bool operator==(const UnregisterStatusNotification&,
                         const UnregisterStatusNotification&) = default;
};

// Linux extension (`peerdist status --json`): answered by a Result whose data is a JSON object
// describing the daemon (docs/ipc.md).
struct ServiceInfo {
  static constexpr MessageType kType = MessageType::service_info;
  friend bool operator==(const ServiceInfo&, const ServiceInfo&) = default;
};

struct PublishStream {
  static constexpr MessageType kType = MessageType::publish_stream;
  Blob content_id;                    // kMinContentIdSize..kMaxContentIdSize bytes
  std::uint64_t content_length = 0;   // 0 = not known yet
  std::uint32_t options_version = 0;  // PEERDIST_PUBLICATION_OPTIONS.dwVersion
  std::uint32_t options_flags = 0;    // PEERDIST_PUBLICATION_OPTIONS.dwFlags
  friend bool operator==(const PublishStream&, const PublishStream&) = default;
};

// Data carried in the frame itself.
struct InlineData {
  Blob bytes;  // <= kMaxInlineData
  friend bool operator==(const InlineData&, const InlineData&) = default;
};
// Data in the shared buffer announced by Hello. Only offset + length is checked here (it may
// not wrap); whether the range lies inside the buffer is SharedBuffer::span's to check.
struct SharedData {
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  friend bool operator==(const SharedData&, const SharedData&) = default;
};
using DataRef = std::variant<InlineData, SharedData>;
// The u8 tag before a DataRef's fields. 0 is no tag, so that zeroed memory never decodes.
enum class DataTag : std::uint8_t { inline_data = 1, shared_data = 2 };

struct AddToStream {
  static constexpr MessageType kType = MessageType::add_to_stream;
  std::uint64_t stream = 0;
  bool last_piece = true;  // on the wire: u8, 0 or 1
  DataRef data;
  friend bool operator==(const AddToStream&, const AddToStream&) = default;
};

// Linux extension: the piece is the bytes [offset, offset + length) of the regular file whose
// descriptor travels as SCM_RIGHTS with this frame (docs/ipc.md, "File pieces"); otherwise an
// AddToStream piece. offset + length may not wrap.
struct AddFileToStream {
  static constexpr MessageType kType = MessageType::add_file_to_stream;
  std::uint64_t stream = 0;
  bool last_piece = true;  // on the wire: u8, 0 or 1
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  friend bool operator==(const AddFileToStream&, const AddFileToStream&) = default;
};

struct CompleteStream {
  static constexpr MessageType kType = MessageType::complete_stream;
  std::uint64_t stream = 0;
  friend bool operator==(const CompleteStream&, const CompleteStream&) = default;
};

struct CloseStream {
  static constexpr MessageType kType = MessageType::close_stream;
  std::uint64_t stream = 0;
  friend bool operator==(const CloseStream&, const CloseStream&) = default;
};

struct Unpublish {
  static constexpr MessageType kType = MessageType::unpublish;
  Blob content_id;  // kMinContentIdSize..kMaxContentIdSize bytes
  friend bool operator==(const Unpublish&, const Unpublish&) = default;
};

struct OpenContentInformation {
  static constexpr MessageType kType = MessageType::open_content_information;
  Blob content_id;  // kMinContentIdSize..kMaxContentIdSize bytes
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // offset 0 and length 0: the whole content
  std::uint32_t min_version = 0;
  std::uint32_t max_version = 0;
  friend bool operator==(const OpenContentInformation&, const OpenContentInformation&) = default;
};

struct RetrieveContentInformation {
  static constexpr MessageType kType = MessageType::retrieve_content_information;
  std::uint64_t content_info = 0;
  std::uint32_t max_bytes = 0;  // the application's cbMaxNumberOfBytes
  friend bool operator==(const RetrieveContentInformation&,
                         const RetrieveContentInformation&) = default;
};

struct CloseContentInformation {
  static constexpr MessageType kType = MessageType::close_content_information;
  std::uint64_t content_info = 0;
  friend bool operator==(const CloseContentInformation&, const CloseContentInformation&) = default;
};

// --- Retrieving content (the client side of the API, docs/distributed-cache.md) -------------
// `content` is the id from OpenContent's Result. Reads answer Result{status, value = offset (or
// the start of the missing range), bytes, data}; data is at most kMaxInlineData bytes.

struct OpenContent {
  static constexpr MessageType kType = MessageType::open_content;
  ContentTag tag{};  // on the wire: 16 bytes, no length
  friend bool operator==(const OpenContent&, const OpenContent&) = default;
};

// Its pending operations are answered ERROR_OPERATION_ABORTED before its own Result.
struct CloseContent {
  static constexpr MessageType kType = MessageType::close_content;
  std::uint64_t content = 0;
  friend bool operator==(const CloseContent&, const CloseContent&) = default;
};

// A piece of the content information; the library splits a buffer bigger than one piece.
struct AddContentInformation {
  static constexpr MessageType kType = MessageType::add_content_information;
  std::uint64_t content = 0;
  DataRef data;
  friend bool operator==(const AddContentInformation&, const AddContentInformation&) = default;
};

struct CompleteContentInformation {
  static constexpr MessageType kType = MessageType::complete_content_information;
  std::uint64_t content = 0;
  friend bool operator==(const CompleteContentInformation&,
                         const CompleteContentInformation&) = default;
};

// Bytes of the content fetched from the origin, at an absolute content offset.
struct AddData {
  static constexpr MessageType kType = MessageType::add_data;
  std::uint64_t content = 0;
  std::uint64_t offset = 0;
  DataRef data;
  friend bool operator==(const AddData&, const AddData&) = default;
};

struct BlockRead {
  static constexpr MessageType kType = MessageType::block_read;
  std::uint64_t content = 0;
  std::uint64_t offset = 0;
  std::uint32_t max_bytes = 0;   // the application's cbMaxNumberOfBytes (0: what is cached)
  std::uint32_t timeout_ms = 0;  // 0: local cache only; 0xFFFFFFFE: the service's default
  friend bool operator==(const BlockRead&, const BlockRead&) = default;
};

// As BlockRead, at the handle's cursor, which the daemon keeps.
struct StreamRead {
  static constexpr MessageType kType = MessageType::stream_read;
  std::uint64_t content = 0;
  std::uint32_t max_bytes = 0;
  std::uint32_t timeout_ms = 0;
  friend bool operator==(const StreamRead&, const StreamRead&) = default;
};

struct FlushContent {
  static constexpr MessageType kType = MessageType::flush_content;
  ContentTag tag{};
  friend bool operator==(const FlushContent&, const FlushContent&) = default;
};

// Result.data is the information class's structure (PEERDIST_CLIENT_BASIC_INFO for class 0).
struct GetClientInformation {
  static constexpr MessageType kType = MessageType::get_client_information;
  std::uint64_t content = 0;
  std::uint32_t info_class = 0;  // PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS, passed through
  friend bool operator==(const GetClientInformation&, const GetClientInformation&) = default;
};

// Linux extension (`peerdist cache --json`): Result.data is a JSON object describing the data
// cache (docs/ipc.md).
struct CacheInfo {
  static constexpr MessageType kType = MessageType::cache_info;
  friend bool operator==(const CacheInfo&, const CacheInfo&) = default;
};

// Linux extension (`peerdist cache clear`): empties the data cache.
struct CacheClear {
  static constexpr MessageType kType = MessageType::cache_clear;
  friend bool operator==(const CacheClear&, const CacheClear&) = default;
};

// --- Cancelling and leaving (session) -------------------------------------------------------

struct Cancel {
  static constexpr MessageType kType = MessageType::cancel;
  std::uint64_t target_request_id = 0;
  friend bool operator==(const Cancel&, const Cancel&) = default;
};

struct Shutdown {
  static constexpr MessageType kType = MessageType::shutdown;
  friend bool operator==(const Shutdown&, const Shutdown&) = default;
};

// ---------------------------------------------------------------------------------------------
// Daemon -> client

struct HelloReply {
  static constexpr MessageType kType = MessageType::hello_reply;
  std::uint32_t status = 0;  // Win32 error code
  std::uint16_t protocol = 0;
  std::uint32_t api_version = 0;  // for pdwSupportedVersion
  std::uint32_t service_status = 0;
  std::uint32_t min_ci_version = 0;
  std::uint32_t max_ci_version = 0;
  std::string service_version;  // <= kMaxServiceVersionSize bytes, not validated as UTF-8
  friend bool operator==(const HelloReply&, const HelloReply&) = default;
};

// The one reply each request gets, exactly once, under the request's request_id.
struct Result {
  static constexpr MessageType kType = MessageType::result;
  std::uint32_t status = 0;  // Win32 error code
  std::uint64_t value = 0;   // a new handle id, or the completion's Offset/OffsetHigh
  std::uint32_t bytes = 0;   // bytes transferred
  Blob data;                 // <= kMaxResultDataSize
  friend bool operator==(const Result&, const Result&) = default;
};

struct StatusChanged {
  static constexpr MessageType kType = MessageType::status_changed;
  std::uint32_t service_status = 0;
  std::uint32_t min_ci_version = 0;
  std::uint32_t max_ci_version = 0;
  friend bool operator==(const StatusChanged&, const StatusChanged&) = default;
};

using Message =
    std::variant<Hello, GetStatus, RegisterStatusNotification, UnregisterStatusNotification,
                 PublishStream, AddToStream, AddFileToStream, CompleteStream, CloseStream,
                 Unpublish, OpenContentInformation, RetrieveContentInformation,
                 CloseContentInformation, Cancel, Shutdown, ServiceInfo, OpenContent, CloseContent,
                 AddContentInformation, CompleteContentInformation, AddData, BlockRead, StreamRead,
                 FlushContent, GetClientInformation, CacheInfo, CacheClear, HelloReply, Result,
                 StatusChanged>;

[[nodiscard]] MessageType type_of(const Message& message);

// The payload only. Throws std::length_error if a field is outside its cap (a bug: callers
// check first), besides std::bad_alloc.
[[nodiscard]] std::vector<std::uint8_t> encode(const Message& message);
// Header and payload, ready to send. request_id follows FrameHeader's rule.
[[nodiscard]] std::vector<std::uint8_t> encode_frame(std::uint64_t request_id,
                                                     const Message& message);

// The frame of a Result up to its data, whose `data_size` bytes follow it on the wire as they
// are (the daemon writes a read's blocks from where they lie rather than copy them into a
// frame): encode_result_head(id, r, n) followed by n bytes d is encode_frame(id, r with data d).
// r.data is ignored. Throws std::length_error past kMaxResultDataSize.
[[nodiscard]] std::vector<std::uint8_t> encode_result_head(std::uint64_t request_id,
                                                           const Result& result,
                                                           std::size_t data_size);

// Rejects a short or over-long payload, a field over its cap, an unknown tag or a flag other
// than 0/1. Error offsets are within the payload.
[[nodiscard]] Expected<Message, util::DecodeError> decode(MessageType type,
                                                          std::span<const std::uint8_t> payload);
[[nodiscard]] inline Expected<Message, util::DecodeError> decode(const Frame& frame) {
  return decode(frame.header.type, frame.payload);
}

}  // namespace peerdist::ipc
