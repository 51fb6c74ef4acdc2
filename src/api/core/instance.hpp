// A PeerDist instance (PeerDistStartup .. PeerDistShutdown): its connection to peerdistd, its
// stream, content-info and content handles, its pending operations and its status notification.
// Every C function and the C++ API end up here once their parameters are checked; this is where the
// rules of docs/api.md that involve state live (one AddToStream or Retrieve in flight per
// handle, INVALIDATED handles after DISABLED/UNAVAILABLE, cancel, Shutdown).
//
// Locking: mutex_ guards the instance's state and the state fields of its handles; it is never
// held while waiting for the daemon, and never taken while an operation's lock is held (an
// operation unlocks before telling the instance it finished). connect_mutex_ serialises
// (re)connecting and arming the status notification; it may be held while mutex_ is taken.
#pragma once

#include <peerdist.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "peerdist/api/handle_table.hpp"
#include "peerdist/util/expected.hpp"

#include "core/completer.hpp"
#include "core/connection.hpp"
#include "core/content.hpp"
#include "core/content_info_reader.hpp"
#include "core/ring.hpp"
#include "core/stream.hpp"

namespace peerdist::api {

class Operation;
class AddOperation;
class RequestOperation;
class StatusRegistration;

// The service's state as last reported by HelloReply or StatusChanged (docs/ipc.md rule 6).
struct ServiceState {
  PEERDIST_STATUS status = PEERDIST_STATUS_UNAVAILABLE;
  // Without a daemon: the default configuration's versions (docs/api.md: V1 and V2).
  std::uint32_t min_ci_version = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1;
  std::uint32_t max_ci_version = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2;
};

class InstanceObject final : public HandleObject,
                             public ConnectionObserver,
                             public std::enable_shared_from_this<InstanceObject> {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_instance;

  // PeerDistStartup once its parameters are checked: a new instance in the handle table,
  // connected if a daemon answers. Fails only with PEERDIST_ERROR_VERSION_UNSUPPORTED (version
  // above PEERDIST_VERSION, or the daemon says so) or a resource error.
  [[nodiscard]] static Expected<std::shared_ptr<InstanceObject>, DWORD> start(
      DWORD version_requested);

  explicit InstanceObject(DWORD version_requested) noexcept;
  InstanceObject(const InstanceObject&) = delete;
  InstanceObject& operator=(const InstanceObject&) = delete;
  InstanceObject(InstanceObject&&) = delete;
  InstanceObject& operator=(InstanceObject&&) = delete;
  ~InstanceObject() override;

  [[nodiscard]] HANDLE handle() const noexcept { return handle_; }
  // pdwSupportedVersion: the daemon's (HelloReply.api_version), else the library's.
  [[nodiscard]] DWORD supported_version() const;

  // ---- General functions (docs/api.md rows of the same names) ----
  // PeerDistShutdown once the handle is out of the table.
  DWORD shutdown() noexcept;
  [[nodiscard]] DWORD get_status(PEERDIST_STATUS_INFO& out);
  // Exactly one of status / status_info non-null. Returns ERROR_IO_PENDING or a sync error.
  DWORD register_status(Completer completer, PEERDIST_STATUS* status,
                        PEERDIST_STATUS_INFO* status_info);
  DWORD unregister_status();
  // The daemon's description of itself (docs/ipc.md, ServiceInfo: a Linux extension for
  // `peerdist status`): a JSON object, as text.
  DWORD service_info(std::string& out);
  // The data cache's state, and emptying it (docs/ipc.md, CacheInfo and CacheClear: Linux
  // extensions for `peerdist cache`): JSON objects, as text.
  DWORD cache_info(std::string& out);
  DWORD cache_clear(std::string& out);

  // ---- Server functions ----
  // Typed lookups that also check ownership: nullptr means ERROR_INVALID_HANDLE.
  [[nodiscard]] std::shared_ptr<StreamObject> stream(HANDLE handle) const;
  [[nodiscard]] std::shared_ptr<ContentInfoObject> content_info(HANDLE handle) const;

  struct PublishOptions {
    DWORD version = PEERDIST_PUBLICATION_OPTIONS_VERSION;
    DWORD flags = 0;
  };
  DWORD publish_stream(std::span<const std::uint8_t> content_id, std::uint64_t content_length,
                       const std::optional<PublishOptions>& options, HANDLE port, ULONG_PTR key,
                       std::shared_ptr<StreamObject>& out);
  // `allow_queue`: the C++ API may queue several adds on one stream; the C API may not
  // (docs/api.md: a second AddToStream in flight is ERROR_INVALID_PARAMETER).
  DWORD add_to_stream(const std::shared_ptr<StreamObject>& stream,
                      std::span<const std::uint8_t> data, std::shared_ptr<void> storage,
                      Completer completer, bool allow_queue);
  // The C++ API's file publishing (instance_file.cpp): [offset, offset + length) of the file
  // `fd` is open on, read by the daemon itself (AddFileToStream, docs/ipc.md "File pieces"); an
  // add queued like add_to_stream's with allow_queue. The caller checks ipc::file_piece_source.
  DWORD add_file_to_stream(const std::shared_ptr<StreamObject>& stream,
                           std::shared_ptr<const ipc::UniqueFd> fd, std::uint64_t offset,
                           std::uint64_t length, Completer completer);
  DWORD complete_stream(const std::shared_ptr<StreamObject>& stream, Completer completer);
  DWORD close_stream(HANDLE handle);
  DWORD unpublish(std::span<const std::uint8_t> content_id);
  // versions: nullopt for the non-Ex call (the highest configured version, spec Q16).
  struct VersionRange {
    DWORD min = 0;
    DWORD max = 0;
  };
  DWORD open_content_information(std::span<const std::uint8_t> content_id, std::uint64_t offset,
                                 std::uint64_t length, const std::optional<VersionRange>& versions,
                                 HANDLE port, ULONG_PTR key,
                                 std::shared_ptr<ContentInfoObject>& out);
  DWORD retrieve(const std::shared_ptr<ContentInfoObject>& reader, std::uint8_t* buffer,
                 DWORD capacity, Completer completer);
  DWORD close_content_information(HANDLE handle);
  DWORD cancel(std::span<const std::uint8_t> content_id, const OVERLAPPED* overlapped);

  // ---- Client functions (spec §2.3; instance_client.cpp) ----
  [[nodiscard]] std::shared_ptr<ContentObject> content(HANDLE handle) const;
  DWORD open_content(const ipc::ContentTag& tag, HANDLE port, ULONG_PTR key,
                     std::shared_ptr<ContentObject>& out);
  DWORD close_content(HANDLE handle);
  // `data` (and `storage`, if set) as for add_to_stream. One in flight per handle (spec §2.3).
  DWORD add_content_information(const std::shared_ptr<ContentObject>& content,
                                std::span<const std::uint8_t> data, std::shared_ptr<void> storage,
                                Completer completer);
  DWORD complete_content_information(const std::shared_ptr<ContentObject>& content,
                                     Completer completer);
  DWORD add_data(const std::shared_ptr<ContentObject>& content, std::uint64_t offset,
                 std::span<const std::uint8_t> data, std::shared_ptr<void> storage,
                 Completer completer);
  struct ReadRequest {
    std::optional<std::uint64_t> offset;  // BlockRead's; nullopt for a StreamRead
    std::uint8_t* buffer = nullptr;       // capacity bytes, the library's until completion
    DWORD capacity = 0;                   // 0: how many bytes the local cache holds
    DWORD timeout_ms = PEERDIST_READ_TIMEOUT_DEFAULT;
  };
  DWORD read(const std::shared_ptr<ContentObject>& content, const ReadRequest& request,
             Completer completer);
  DWORD flush_content(const ipc::ContentTag& tag, Completer completer);
  // overlapped nullptr: every operation pending on the handle (spec §2.3).
  DWORD cancel_content(const std::shared_ptr<ContentObject>& content, const OVERLAPPED* overlapped);
  DWORD client_basic_info(const std::shared_ptr<ContentObject>& content,
                          PEERDIST_CLIENT_BASIC_INFO& out);

  // C++ zero copy: `length` bytes of the current connection's ring, waiting while it is full.
  // ERROR_NOT_SUPPORTED-like nullopt with ERROR_SUCCESS when there is no ring (the caller
  // falls back to memory of its own), PEERDIST_ERROR_SERVICE_UNAVAILABLE without a daemon.
  [[nodiscard]] Expected<std::optional<RingLease>, DWORD> acquire_ring(std::size_t length);

  // ---- From operations and the connection ----
  void operation_finished(Operation& operation, DWORD status) noexcept;
  void deliver_status(StatusRegistration& registration, std::uint64_t value) noexcept;
  void on_status_changed(const Connection& connection,
                         const ipc::StatusChanged& status) noexcept override;
  void on_connection_lost(const Connection& connection) noexcept override;

  // For tests: the current connection (nullptr when none).
  [[nodiscard]] std::shared_ptr<Connection> current_connection() const;

 private:
  // Why an add may not start on `stream` (ERROR_SUCCESS: it may); mutex_ held.
  [[nodiscard]] DWORD refuse_add(const StreamObject& stream) const;
  // The live connection, reconnecting if there is none (docs/api.md: the library reconnects on
  // the next call). nullptr with *error = PEERDIST_ERROR_SERVICE_UNAVAILABLE or
  // PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS.
  std::shared_ptr<Connection> connection(DWORD& error);
  std::shared_ptr<Connection> connect_locked(DWORD& error);  // connect_mutex_ held
  Expected<std::shared_ptr<Connection>, DWORD> open_connection();
  // Arms the registration on the daemon, or locally when there is none. connect_mutex_ held.
  void arm_registration_locked(const std::shared_ptr<StatusRegistration>& registration);
  // Sends RegisterStatusNotification for it on `connection`; false if it could not be sent.
  bool send_registration(const std::shared_ptr<Connection>& connection,
                         const std::shared_ptr<StatusRegistration>& registration);
  // No daemon: the status is UNAVAILABLE. Delivers it if the last status reported differs,
  // else keeps the registration armed in the library and starts the reconnect watcher.
  void registration_without_daemon(const std::shared_ptr<StatusRegistration>& registration);
  // Marks the handles of a connection INVALIDATED and ends their operations with
  // PEERDIST_ERROR_INVALIDATED (docs/api.md, "handles after disable"). `lost`: the connection
  // ended, so a status notification sees UNAVAILABLE.
  void invalidate_connection(std::uint64_t connection_id, bool lost) noexcept;
  void start_watcher_locked();
  void watcher_loop() noexcept;
  // CloseStream for a stream whose Add/Complete was cancelled or aborted, so that the daemon
  // drops the half-made publication whatever state it kept (docs/api.md: cancelled Add/Complete
  // abandon the publication; the identifier is free again).
  void close_abandoned_stream(const std::shared_ptr<Connection>& connection,
                              const std::shared_ptr<StreamObject>& stream);
  [[nodiscard]] bool current_locked(std::uint64_t connection_id) const;
  // The invalidation count, read before a request that makes a daemon object.
  [[nodiscard]] std::uint64_t invalidations_now() const;
  // Enters the handle object of a daemon object just made, in the handle table and in `list`,
  // unless the instance closed meanwhile (PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS). One made by a
  // request that raced with an invalidation (the count moved since `invalidations`) starts
  // invalidated: its daemon object may predate the change.
  template <typename Object>
  DWORD enter_handle(const std::shared_ptr<Object>& object, std::uint64_t connection_id,
                     std::uint64_t invalidations, std::vector<std::shared_ptr<Object>>& list) {
    const HANDLE handle = handle_table().insert(object);
    const std::lock_guard lock(mutex_);
    if (closed_) {
      static_cast<void>(handle_table().remove<Object>(handle));
      return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    }
    object->handle = handle;
    object->invalidated = !current_locked(connection_id) || invalidations != invalidations_;
    list.push_back(object);
    return ERROR_SUCCESS;
  }
  // A synchronous request whose Result.data is text (JSON): ServiceInfo, CacheInfo, CacheClear.
  DWORD text_request(const ipc::Message& message, std::string& out);
  // Cancels one pending operation on the daemon (ipc::Cancel for each request it has pending)
  // and returns once it has ended; true if it ended with ERROR_OPERATION_ABORTED from this
  // cancel, false if it had completed first.
  bool cancel_operation(const std::shared_ptr<Connection>& connection, Operation& operation);
  // Registers an operation on a content handle, once the handle's checks passed (mutex_ held).
  void track_locked(const std::shared_ptr<ContentObject>& content,
                    const std::shared_ptr<Operation>& operation);
  // Sends the one request of a RequestOperation; an unsent request ends INVALIDATED.
  static void send_single(const std::shared_ptr<Connection>& connection,
                          const ipc::Message& message,
                          const std::shared_ptr<RequestOperation>& operation);
  // The checks every call on a content handle makes first (mutex_ held): ERROR_SUCCESS or the
  // code to return.
  [[nodiscard]] DWORD usable_locked(const ContentObject& content) const;

  const DWORD version_requested_;
  HANDLE handle_ = nullptr;

  std::mutex connect_mutex_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  bool closed_ = false;
  std::shared_ptr<Connection> connection_;
  ServiceState service_;
  DWORD supported_version_ = PEERDIST_VERSION;
  // Bumped by every invalidation: a handle created by a request that raced with one is
  // created invalidated (its daemon object may predate the change).
  std::uint64_t invalidations_ = 0;
  std::vector<std::shared_ptr<StreamObject>> streams_;
  std::vector<std::shared_ptr<ContentInfoObject>> readers_;
  std::vector<std::shared_ptr<ContentObject>> contents_;
  std::vector<std::shared_ptr<Operation>> operations_;
  std::shared_ptr<StatusRegistration> registration_;
  // The registration waits in the library for a daemon (none answered when it was armed).
  bool registration_local_ = false;
  // The last status a notification delivered; DISABLED before the first (spec Q12).
  PEERDIST_STATUS last_reported_ = PEERDIST_STATUS_DISABLED;
  std::condition_variable watcher_wake_;
  std::thread watcher_;
};

// The instance behind a handle, or nullptr (ERROR_INVALID_HANDLE).
[[nodiscard]] std::shared_ptr<InstanceObject> lookup_instance(HANDLE handle);

}  // namespace peerdist::api
