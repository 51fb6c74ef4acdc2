// Framing of the local protocol between libpeerdist and peerdistd (docs/ipc.md): every message
// is a 24-byte little-endian header followed by its payload. The daemon reads frames from
// clients it does not trust, so the header is validated before a single payload byte is kept.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::ipc {

inline constexpr std::uint32_t kMagic = 0x53494450;  // the bytes "PDIS" read as a LE u32
// The layout of the header itself. The message set is negotiated separately, by Hello.
inline constexpr std::uint16_t kFrameVersion = 1;
inline constexpr std::size_t kHeaderSize = 24;

// Bulk data travels in the shared buffer, or inline in pieces of at most kMaxInlineData (the
// library splits bigger application buffers). The largest payload is such a piece plus a few
// fixed fields, so 4 KiB of headroom covers every message; a frame announcing more is an attack
// or a bug, and is refused before anything is allocated for it.
inline constexpr std::uint32_t kMaxInlineData = 4U * 1024 * 1024;
inline constexpr std::uint32_t kMaxPayload = kMaxInlineData + 4U * 1024;

// The values are part of the protocol (docs/ipc.md has the table): requests from the client
// have the high bit clear, messages from the daemon have it set.
enum class MessageType : std::uint16_t {
  // Client -> daemon: session and status.
  hello = 0x0001,
  get_status = 0x0002,
  register_status_notification = 0x0003,
  unregister_status_notification = 0x0004,
  cancel = 0x0005,
  shutdown = 0x0006,
  // Linux extension: the daemon's state as JSON, for `peerdist status --json`.
  service_info = 0x0007,
  // Client -> daemon: publishing (server side of the API).
  publish_stream = 0x0010,
  add_to_stream = 0x0011,
  complete_stream = 0x0012,
  close_stream = 0x0013,
  unpublish = 0x0014,
  // Linux extension: a piece read from a file whose descriptor comes with the frame.
  add_file_to_stream = 0x0015,
  open_content_information = 0x0018,
  retrieve_content_information = 0x0019,
  close_content_information = 0x001A,
  // Client -> daemon: retrieving content (client side of the API, docs/distributed-cache.md).
  open_content = 0x0020,
  close_content = 0x0021,
  add_content_information = 0x0022,
  complete_content_information = 0x0023,
  add_data = 0x0024,
  block_read = 0x0025,
  stream_read = 0x0026,
  flush_content = 0x0027,
  get_client_information = 0x0028,
  // Linux extensions: the data cache, for `peerdist cache [--json]` and `peerdist cache clear`.
  cache_info = 0x0030,
  cache_clear = 0x0031,
  // Daemon -> client.
  hello_reply = 0x8001,
  result = 0x8002,
  status_changed = 0x8003,
};

// Every MessageType, in table order (for tests and for code that iterates over all of them).
inline constexpr std::array kAllMessageTypes = {
    MessageType::hello,
    MessageType::get_status,
    MessageType::register_status_notification,
    MessageType::unregister_status_notification,
    MessageType::cancel,
    MessageType::shutdown,
    MessageType::service_info,
    MessageType::publish_stream,
    MessageType::add_to_stream,
    MessageType::complete_stream,
    MessageType::close_stream,
    MessageType::unpublish,
    MessageType::add_file_to_stream,
    MessageType::open_content_information,
    MessageType::retrieve_content_information,
    MessageType::close_content_information,
    MessageType::open_content,
    MessageType::close_content,
    MessageType::add_content_information,
    MessageType::complete_content_information,
    MessageType::add_data,
    MessageType::block_read,
    MessageType::stream_read,
    MessageType::flush_content,
    MessageType::get_client_information,
    MessageType::cache_info,
    MessageType::cache_clear,
    MessageType::hello_reply,
    MessageType::result,
    MessageType::status_changed,
};

[[nodiscard]] std::optional<MessageType> message_type_from(std::uint16_t value) noexcept;
// "PublishStream": the struct's name, for logs and error messages.
[[nodiscard]] std::string_view name(MessageType type) noexcept;
// True for the types only a client sends; a daemon closes a connection that sends it another.
[[nodiscard]] constexpr bool is_request(MessageType type) noexcept {
  return (static_cast<std::uint16_t>(type) & 0x8000U) == 0;
}

// The fields of a header that vary; magic, version and flags are constants of the encoding.
struct FrameHeader {
  MessageType type = MessageType::hello;
  std::uint32_t payload_length = 0;
  // Chosen by the client per request and echoed in its reply; 0 only for StatusChanged.
  std::uint64_t request_id = 0;

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// Rejects, naming the field: a wrong magic or version, an unknown type, non-zero flags, a
// payload longer than kMaxPayload, and a request_id that breaks the rule above. Offsets in the
// error are within the header.
[[nodiscard]] Expected<FrameHeader, util::DecodeError> decode_header(
    std::span<const std::uint8_t, kHeaderSize> bytes);
// Precondition: header.payload_length <= kMaxPayload (asserted).
[[nodiscard]] std::array<std::uint8_t, kHeaderSize> encode_header(const FrameHeader& header);

struct Frame {
  FrameHeader header;
  std::vector<std::uint8_t> payload;  // exactly header.payload_length bytes

  friend bool operator==(const Frame&, const Frame&) = default;
};

// Cuts a byte stream (as a socket delivers it, split anywhere) into frames. It holds at most
// one unfinished frame, and grows its payload only as bytes arrive, so a connection costs at
// most kHeaderSize + kMaxPayload bytes however the peer behaves. The first bad header stops it
// for good: framing is lost, and the caller closes the connection.
//
//   std::span<const std::uint8_t> in(buffer, received);
//   for (;;) {
//     auto frame = assembler.next(in);
//     if (!frame) { close(); break; }
//     if (!*frame) break;  // `in` is used up; read more
//     handle(std::move(**frame));
//   }
class FrameAssembler {
 public:
  // Takes bytes from the front of `input` until one frame is complete or `input` is used up,
  // and drops what it took from `input`. Returns the frame, or an empty optional when more
  // bytes are needed. After an error every call returns that error again and takes nothing.
  // Error offsets count bytes from the start of the stream.
  Expected<std::optional<Frame>, util::DecodeError> next(std::span<const std::uint8_t>& input);

  // True while part of a frame is buffered: an end of stream now cuts a frame short.
  [[nodiscard]] bool mid_frame() const noexcept { return header_filled_ > 0; }
  // Bytes taken so far (the stream offset of the next byte).
  [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_; }

 private:
  std::array<std::uint8_t, kHeaderSize> header_bytes_{};
  std::size_t header_filled_ = 0;
  std::optional<FrameHeader> header_;  // set once header_bytes_ is full and valid
  std::vector<std::uint8_t> payload_;
  std::uint64_t consumed_ = 0;
  std::uint64_t frame_start_ = 0;  // stream offset of the unfinished frame's header
  std::optional<util::DecodeError> error_;
};

}  // namespace peerdist::ipc
