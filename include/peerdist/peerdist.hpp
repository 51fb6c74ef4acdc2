// peerdist.hpp: the C++ API of libpeerdist, over the same implementation as the C API of
// <peerdist.h> (docs/api.md is the contract for both).
//
//   auto instance = peerdist::Instance::start();             // Expected<Instance, error_code>
//   if (!instance) return instance.error();
//   std::error_code ec = instance->publish_file("big.iso", peerdist::as_bytes("iso-1"),
//                                               {.persistent = true}, progress);
//   auto reader = instance->open_content_information(peerdist::as_bytes("iso-1"));
//   auto ci = reader->read_all();                            // Expected<vector<uint8_t>, ...>
//
// Errors are values: every call returns a std::error_code or a peerdist::Expected whose error
// is one, in win32_category() (the Win32 / PEERDIST_ERROR_* code of the C API, one to one).
// Nothing here throws for an API error; std::bad_alloc may still escape.
//
// C++20. Link with libpeerdist (pkg-config peerdist, or find_package(peerdist) and
// peerdist::peerdist).
//
// Threads: every object may be used from any thread. Completion callbacks run on the
// library's receiver thread: they may start further asynchronous operations, but must not
// wait for one (no future.get(), no synchronous call such as close() or read_all()).
#pragma once

#include <peerdist.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "peerdist/util/expected.hpp"

#define PEERDIST_API __attribute__((visibility("default")))

namespace peerdist {

namespace api {
class InstanceObject;
class StreamObject;
class ContentInfoObject;
class ContentObject;
}  // namespace api

// ---- Errors -------------------------------------------------------------------------------

// A Win32 error code as the C API returns it (ERROR_*, PEERDIST_ERROR_*).
enum class Win32Error : std::uint32_t {};

// Messages for every code the API returns; equivalent std::errc conditions where one exists
// (ERROR_INVALID_PARAMETER == std::errc::invalid_argument, ERROR_OPERATION_ABORTED ==
// std::errc::operation_canceled, ...).
[[nodiscard]] PEERDIST_API const std::error_category& win32_category() noexcept;
[[nodiscard]] PEERDIST_API std::error_code make_error_code(Win32Error code) noexcept;
// ERROR_SUCCESS gives an empty error_code.
[[nodiscard]] inline std::error_code win32_error(std::uint32_t code) noexcept {
  return make_error_code(static_cast<Win32Error>(code));
}

// ---- Values -------------------------------------------------------------------------------

// Content identifiers are bytes; text identifiers (what the CLI takes) are their UTF-8.
[[nodiscard]] inline std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

enum class ServiceStatus : std::uint8_t {
  disabled = PEERDIST_STATUS_DISABLED,
  unavailable = PEERDIST_STATUS_UNAVAILABLE,
  available = PEERDIST_STATUS_AVAILABLE,
};

struct StatusInfo {
  ServiceStatus status = ServiceStatus::unavailable;
  std::uint32_t min_content_info_version = 0;  // the service's configured versions (1, 2)
  std::uint32_t max_content_info_version = 0;
};

struct PublishOptions {
  // Kept until unpublished, across instances and service restarts
  // (PEERDIST_PUBLICATION_FLAG_PERSISTENT); otherwise gone with the instance.
  bool persistent = false;
  // Produce only these content-information versions; neither: the service's configuration.
  bool content_info_v1 = false;
  bool content_info_v2 = false;
  // The content's length if known: the service then refuses more or fewer bytes. 0: unknown.
  // publish_file fills it in from a regular file's size.
  std::uint64_t content_length = 0;
};

// A byte range of the published content; {0, 0} is all of it, {offset, 0} from offset to the
// end (docs/api.md, OpenContentInformation).
struct ContentRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct VersionRange {
  std::uint32_t min = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1;
  std::uint32_t max = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2;
};

// One piece of content information read by ContentInformationReader::next.
struct ContentInformationPiece {
  std::uint64_t offset = 0;  // where the piece starts in the content information
  std::size_t size = 0;      // bytes written to the caller's buffer
  bool end = false;          // nothing more: size is 0 (PEERDIST_ERROR_NO_MORE)
};

// An asynchronous operation's end: its error (empty on success) and the bytes it moved.
using Completion = std::function<void(std::error_code error, std::size_t bytes)>;

// ---- Zero-copy buffer ---------------------------------------------------------------------

// Memory to fill and hand to PublicationStream::add without a copy: a piece of the shared ring
// the daemon reads directly (or ordinary memory when the connection has no ring). Move-only;
// the memory goes back to the ring when the buffer is dropped unused, or when the daemon has
// consumed the bytes of the add it was given to.
class PEERDIST_API PublicationBuffer {
 public:
  PublicationBuffer() noexcept;
  PublicationBuffer(PublicationBuffer&& other) noexcept;
  PublicationBuffer& operator=(PublicationBuffer&& other) noexcept;
  PublicationBuffer(const PublicationBuffer&) = delete;
  PublicationBuffer& operator=(const PublicationBuffer&) = delete;
  ~PublicationBuffer();

  [[nodiscard]] std::span<std::uint8_t> data() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return data().size(); }
  [[nodiscard]] bool empty() const noexcept { return data().empty(); }
  // True when the bytes are in the memory shared with the daemon (no copy at all).
  [[nodiscard]] bool shared() const noexcept;

  struct Storage;

 private:
  friend class PublicationStream;
  explicit PublicationBuffer(std::shared_ptr<Storage> storage) noexcept;
  std::shared_ptr<Storage> storage_;
};

// ---- Publishing ---------------------------------------------------------------------------

// An open publication stream (PeerDistServerPublishStream). Unlike the C API, several adds may
// be in flight at once; they are appended in the order of the calls, and a failed one fails
// those after it. Closing (or destroying) the stream cancels what is pending and does not
// unpublish a completed publication.
class PEERDIST_API PublicationStream {
 public:
  // The largest buffer() (four ring slots).
  static constexpr std::size_t kMaxBufferSize = std::size_t{4} * 1024 * 1024;

  PublicationStream() noexcept;
  PublicationStream(PublicationStream&& other) noexcept;
  PublicationStream& operator=(PublicationStream&& other) noexcept;
  PublicationStream(const PublicationStream&) = delete;
  PublicationStream& operator=(const PublicationStream&) = delete;
  ~PublicationStream();

  [[nodiscard]] bool valid() const noexcept { return stream_ != nullptr; }

  // Appends `data`, which must stay valid and unchanged until the add completes. The library
  // copies it into the shared ring on its sender thread while the daemon hashes the previous
  // pieces. A synchronous error is returned (the callback is then never called).
  std::error_code add(std::span<const std::uint8_t> data, Completion done);
  [[nodiscard]] std::future<std::error_code> add(std::span<const std::uint8_t> data);

  // Zero copy: a buffer of `size` bytes (1 .. kMaxBufferSize) to fill, then add() the first
  // `length` bytes of it. Waits while the ring is full (until earlier adds are consumed).
  [[nodiscard]] Expected<PublicationBuffer, std::error_code> buffer(std::size_t size);
  std::error_code add(PublicationBuffer buffer, std::size_t length, Completion done);
  [[nodiscard]] std::future<std::error_code> add(PublicationBuffer buffer, std::size_t length);

  // Ends the data; the publication exists once this succeeds. Every add must have completed.
  std::error_code complete(Completion done);
  [[nodiscard]] std::future<std::error_code> complete();

  // PeerDistServerCloseStreamHandle. Synchronous.
  std::error_code close();

  [[nodiscard]] PEERDIST_STREAM_HANDLE native_handle() const noexcept;

 private:
  friend class Instance;
  PublicationStream(std::shared_ptr<api::InstanceObject> instance,
                    std::shared_ptr<api::StreamObject> stream) noexcept;
  std::error_code add_storage(std::shared_ptr<PublicationBuffer::Storage> storage,
                              std::span<const std::uint8_t> data, Completion done);

  std::shared_ptr<api::InstanceObject> instance_;
  std::shared_ptr<api::StreamObject> stream_;
};

// ---- Reading content information ----------------------------------------------------------

class PEERDIST_API ContentInformationReader {
 public:
  ContentInformationReader() noexcept;
  ContentInformationReader(ContentInformationReader&& other) noexcept;
  ContentInformationReader& operator=(ContentInformationReader&& other) noexcept;
  ContentInformationReader(const ContentInformationReader&) = delete;
  ContentInformationReader& operator=(const ContentInformationReader&) = delete;
  ~ContentInformationReader();

  [[nodiscard]] bool valid() const noexcept { return reader_ != nullptr; }

  // The next piece, up to out.size() bytes, written to `out`; {.end = true} after the last.
  [[nodiscard]] Expected<ContentInformationPiece, std::error_code> next(
      std::span<std::uint8_t> out);
  // The same, asynchronously; `out` is the library's until `done` runs.
  std::error_code next(std::span<std::uint8_t> out,
                       std::function<void(std::error_code, ContentInformationPiece)> done);
  // Everything not read yet.
  [[nodiscard]] Expected<std::vector<std::uint8_t>, std::error_code> read_all();

  // PeerDistServerCloseContentInformation. Synchronous.
  std::error_code close();

  [[nodiscard]] PEERDIST_CONTENTINFO_HANDLE native_handle() const noexcept;

 private:
  friend class Instance;
  ContentInformationReader(std::shared_ptr<api::InstanceObject> instance,
                           std::shared_ptr<api::ContentInfoObject> reader) noexcept;

  std::shared_ptr<api::InstanceObject> instance_;
  std::shared_ptr<api::ContentInfoObject> reader_;
};

// ---- Retrieving content (the client side) -------------------------------------------------

// PEERDIST_CONTENT_TAG: 16 bytes a program labels what it adds to the cache with
// (Instance::open_content), and flushes it by (Instance::flush_content).
using ContentTag = std::array<std::uint8_t, 16>;

// Read timeouts (PeerDistClientBlockRead's dwTimeoutInMilliseconds): the local cache only (no
// peer is asked), the service's default (5 s), or any other duration (clamped to 32 bits of ms).
inline constexpr std::chrono::milliseconds kReadLocalCacheOnly{
    PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY};
inline constexpr std::chrono::milliseconds kReadDefaultTimeout{PEERDIST_READ_TIMEOUT_DEFAULT};

// How a read ended. On success `offset` is where the bytes read start and `bytes` how many were
// written to the caller's buffer (for a 0-byte read: how many contiguous bytes the local cache
// holds there). missing(): no cache had the data (PEERDIST_ERROR_MISSING_DATA) or the timeout
// passed (ERROR_TIMEOUT); [offset, offset + bytes) is then the missing range, to fetch from the
// origin and add_data. end(): the read lies outside the content (PEERDIST_ERROR_NO_MORE).
struct ReadResult {
  std::error_code error;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;

  [[nodiscard]] bool ok() const noexcept { return !error; }
  [[nodiscard]] bool missing() const noexcept {
    return error == win32_error(PEERDIST_ERROR_MISSING_DATA) || error == win32_error(ERROR_TIMEOUT);
  }
  [[nodiscard]] bool end() const noexcept { return error == win32_error(PEERDIST_ERROR_NO_MORE); }
};
using ReadCompletion = std::function<void(const ReadResult& result)>;

// PEERDIST_CLIENT_BASIC_INFO.
struct ClientBasicInfo {
  // Many clients of the branch are fetching this content now: data missing at the moment may
  // soon be in a peer's cache.
  bool flash_crowd = false;
};

// An open content handle (PeerDistClientOpenContent): add the content information the content
// server gave you, complete it, then read; what no cache holds, fetch from the origin and add.
// Closing (or destroying) it cancels what is pending.
//
//   auto content = instance->open_content(tag);
//   content->add_content_information(ci).get();
//   content->complete_content_information().get();
//   auto got = content->block_read(offset, buffer).get();
//   if (got.missing()) { fetch(got.offset, got.bytes); content->add_data(got.offset, bytes).get();
//   }
class PEERDIST_API ClientContent {
 public:
  ClientContent() noexcept;
  ClientContent(ClientContent&& other) noexcept;
  ClientContent& operator=(ClientContent&& other) noexcept;
  ClientContent(const ClientContent&) = delete;
  ClientContent& operator=(const ClientContent&) = delete;
  ~ClientContent();

  [[nodiscard]] bool valid() const noexcept { return content_ != nullptr; }
  [[nodiscard]] ContentTag tag() const noexcept;

  // A piece of the content information; one at a time (the next once this one completed).
  // `data` must stay valid and unchanged until it completes. A synchronous error is returned
  // (the callback is then never called).
  std::error_code add_content_information(std::span<const std::uint8_t> data, Completion done);
  [[nodiscard]] std::future<std::error_code> add_content_information(
      std::span<const std::uint8_t> data);
  // Ends the content information; reads are possible once this succeeded.
  std::error_code complete_content_information(Completion done);
  [[nodiscard]] std::future<std::error_code> complete_content_information();
  // Content bytes fetched from the origin, at their offset in the content: verified and cached.
  std::error_code add_data(std::uint64_t offset, std::span<const std::uint8_t> data,
                           Completion done);
  [[nodiscard]] std::future<std::error_code> add_data(std::uint64_t offset,
                                                      std::span<const std::uint8_t> data);

  // Reads at `offset` into `out` (the library's until the read completes), completing as soon
  // as any data is there. Several reads may be pending at once.
  std::error_code block_read(std::uint64_t offset, std::span<std::uint8_t> out,
                             std::chrono::milliseconds timeout, ReadCompletion done);
  [[nodiscard]] std::future<ReadResult> block_read(
      std::uint64_t offset, std::span<std::uint8_t> out,
      std::chrono::milliseconds timeout = kReadDefaultTimeout);
  // The same at the handle's stream position, which moves past what each read reports (the
  // bytes read or the missing range); pending stream reads are served in order.
  std::error_code stream_read(std::span<std::uint8_t> out, std::chrono::milliseconds timeout,
                              ReadCompletion done);
  [[nodiscard]] std::future<ReadResult> stream_read(
      std::span<std::uint8_t> out, std::chrono::milliseconds timeout = kReadDefaultTimeout);

  // Removes from the cache what was cached under this handle's tag (Instance::flush_content).
  [[nodiscard]] std::future<std::error_code> flush();

  // PeerDistClientGetInformationByHandle(PeerDistClientBasicInfo). Synchronous.
  [[nodiscard]] Expected<ClientBasicInfo, std::error_code> basic_info() const;

  // Cancels every pending operation of the handle: each completes with ERROR_OPERATION_ABORTED
  // unless it had completed already. Returns once they have.
  std::error_code cancel();
  // PeerDistClientCloseContent. Synchronous.
  std::error_code close();

  [[nodiscard]] PEERDIST_CONTENT_HANDLE native_handle() const noexcept;

 private:
  friend class Instance;
  ClientContent(std::shared_ptr<api::InstanceObject> instance,
                std::shared_ptr<api::ContentObject> content) noexcept;
  std::error_code read(std::optional<std::uint64_t> offset, std::span<std::uint8_t> out,
                       std::chrono::milliseconds timeout, ReadCompletion done);

  std::shared_ptr<api::InstanceObject> instance_;
  std::shared_ptr<api::ContentObject> content_;
};

// ---- The instance -------------------------------------------------------------------------

// PeerDistStartup .. PeerDistShutdown. Succeeds without a running service (status() then says
// unavailable and the calls that need it fail with PEERDIST_ERROR_SERVICE_UNAVAILABLE until it
// answers).
class PEERDIST_API Instance {
 public:
  // Bytes done and bytes in all (0 when not known), after each piece the service consumed.
  using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

  [[nodiscard]] static Expected<Instance, std::error_code> start(
      std::uint32_t version = PEERDIST_VERSION);

  Instance() noexcept;
  Instance(Instance&& other) noexcept;
  Instance& operator=(Instance&& other) noexcept;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  // Shuts down: pending operations end with ERROR_OPERATION_ABORTED, and the publications
  // made through this instance without `persistent` are removed.
  ~Instance();

  std::error_code shutdown();
  [[nodiscard]] bool valid() const noexcept { return instance_ != nullptr; }
  [[nodiscard]] std::uint32_t supported_version() const;
  [[nodiscard]] PEERDIST_INSTANCE_HANDLE native_handle() const noexcept;

  [[nodiscard]] Expected<StatusInfo, std::error_code> status() const;
  // What the daemon says about itself (a Linux extension for `peerdist status`): one JSON
  // object as text, with at least version, pid, status, content_information_versions, socket,
  // state_dir, uptime_seconds, publications and connections (docs/ipc.md, ServiceInfo).
  [[nodiscard]] Expected<std::string, std::error_code> service_info() const;
  // The data cache (Linux extensions for `peerdist cache`, docs/ipc.md): its state as one JSON
  // object (dir, bytes, max_bytes, segments, complete_segments, blocks, max_age_seconds,
  // oldest_age_seconds); and emptying it (root or the daemon's user only, else
  // ERROR_ACCESS_DENIED), which returns what was removed (bytes, segments, blocks) as JSON.
  [[nodiscard]] Expected<std::string, std::error_code> cache_info() const;
  [[nodiscard]] Expected<std::string, std::error_code> cache_clear();

  [[nodiscard]] Expected<PublicationStream, std::error_code> publish(
      std::span<const std::uint8_t> content_id, const PublishOptions& options = {});
  // Publishes a whole file, reading it straight into the shared ring (no copy) with several
  // pieces in flight. `progress` runs on the calling thread. The file is read from its current
  // position to the end; nothing is published on any error.
  std::error_code publish_file(int fd, std::span<const std::uint8_t> content_id,
                               const PublishOptions& options = {}, const Progress& progress = {});
  std::error_code publish_file(const std::filesystem::path& path,
                               std::span<const std::uint8_t> content_id,
                               const PublishOptions& options = {}, const Progress& progress = {});
  // Removes this user's publication (ERROR_SUCCESS if there is none).
  std::error_code unpublish(std::span<const std::uint8_t> content_id);

  // A reader over the publication's content information; `versions` unset: the highest
  // configured version (the non-Ex call).
  [[nodiscard]] Expected<ContentInformationReader, std::error_code> open_content_information(
      std::span<const std::uint8_t> content_id, ContentRange range = {},
      std::optional<VersionRange> versions = std::nullopt);

  // A content handle whose additions to the cache are labelled with `tag`.
  [[nodiscard]] Expected<ClientContent, std::error_code> open_content(const ContentTag& tag);
  // Removes from the cache what was cached under `tag` (PeerDistClientFlushContent).
  std::error_code flush_content(const ContentTag& tag, Completion done);
  [[nodiscard]] std::future<std::error_code> flush_content(const ContentTag& tag);

 private:
  explicit Instance(std::shared_ptr<api::InstanceObject> instance) noexcept;
  std::shared_ptr<api::InstanceObject> instance_;
};

}  // namespace peerdist

template <>
struct std::is_error_code_enum<peerdist::Win32Error> : std::true_type {};
