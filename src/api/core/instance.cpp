#include "core/instance.hpp"

#include <algorithm>
#include <utility>

#include "peerdist/api/last_error.hpp"

#include "core/add_operation.hpp"
#include "core/library_thread.hpp"
#include "core/operation.hpp"
#include "core/policy.hpp"
#include "core/request_operations.hpp"
#include "core/socket_path.hpp"
#include "core/status_registration.hpp"

namespace peerdist::api {
namespace {

// Extensions in PEERDIST_PUBLICATION_OPTIONS.dwFlags (peerdist.h); every other bit is reserved.
constexpr DWORD kKnownPublicationFlags = PEERDIST_PUBLICATION_FLAG_PERSISTENT |
                                         PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1 |
                                         PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2;

// docs/api.md, Startup: a requested version above PEERDIST_VERSION (2.0) is unsupported. The
// version is MAKEWORD(major, minor) in the low word (spec §2.1); 2.1 asks for more than 2.0
// too, and so does anything in the high word, which no defined version uses.
bool version_supported(DWORD requested) noexcept {
  if ((requested & 0xffff0000U) != 0) return false;
  const DWORD major = requested & 0xffU;
  const DWORD minor = (requested >> 8U) & 0xffU;
  return major < 2 || (major == 2 && minor == 0);
}

bool valid_content_id(std::span<const std::uint8_t> id) noexcept {
  return id.size() >= ipc::kMinContentIdSize && id.size() <= ipc::kMaxContentIdSize;
}

bool same_content(const std::shared_ptr<const ipc::Blob>& a,
                  std::span<const std::uint8_t> b) noexcept {
  return a != nullptr && std::equal(a->begin(), a->end(), b.begin(), b.end());
}

PEERDIST_STATUS to_status(std::uint64_t value) noexcept {
  // An out-of-range value from the daemon is read as "not ready" rather than passed on.
  if (value == PEERDIST_STATUS_DISABLED) return PEERDIST_STATUS_DISABLED;
  if (value == PEERDIST_STATUS_AVAILABLE) return PEERDIST_STATUS_AVAILABLE;
  return PEERDIST_STATUS_UNAVAILABLE;
}

template <typename T>
void erase_ptr(std::vector<std::shared_ptr<T>>& items, const void* target) {
  std::erase_if(items, [target](const auto& item) { return item.get() == target; });
}

}  // namespace

std::shared_ptr<InstanceObject> lookup_instance(HANDLE handle) {
  return handle_table().lookup<InstanceObject>(handle);
}

// ---- Life cycle ---------------------------------------------------------------------------

Expected<std::shared_ptr<InstanceObject>, DWORD> InstanceObject::start(DWORD version_requested) {
  if (!version_supported(version_requested)) {
    return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_VERSION_UNSUPPORTED));
  }
  auto instance = std::make_shared<InstanceObject>(version_requested);
  DWORD error = ERROR_SUCCESS;
  {
    const std::lock_guard connect_lock(instance->connect_mutex_);
    static_cast<void>(instance->connect_locked(error));
  }
  // Any other failure means no daemon yet: Startup still succeeds (docs/api.md).
  if (error == PEERDIST_ERROR_VERSION_UNSUPPORTED) {
    static_cast<void>(instance->shutdown());
    return Unexpected(error);
  }
  instance->handle_ = handle_table().insert(instance);
  return instance;
}

InstanceObject::InstanceObject(DWORD version_requested) noexcept
    : HandleObject(kKind), version_requested_(version_requested) {}

InstanceObject::~InstanceObject() {
  // shutdown() has normally done all this; the destructor only covers an instance that never
  // reached the handle table.
  if (watcher_.joinable()) {
    if (watcher_.get_id() == std::this_thread::get_id()) {
      watcher_.detach();
    } else {
      watcher_.join();
    }
  }
  if (connection_) connection_->close();
}

DWORD InstanceObject::supported_version() const {
  const std::lock_guard lock(mutex_);
  return supported_version_;
}

std::shared_ptr<Connection> InstanceObject::current_connection() const {
  const std::lock_guard lock(mutex_);
  return connection_;
}

bool InstanceObject::current_locked(std::uint64_t connection_id) const {
  return connection_ != nullptr && connection_->id() == connection_id && connection_->alive();
}

std::uint64_t InstanceObject::invalidations_now() const {
  const std::lock_guard lock(mutex_);
  return invalidations_;
}

DWORD InstanceObject::shutdown() noexcept {
  try {
    std::shared_ptr<Connection> connection;
    std::vector<std::shared_ptr<Operation>> operations;
    std::vector<std::shared_ptr<StreamObject>> streams;
    std::vector<std::shared_ptr<ContentInfoObject>> readers;
    std::vector<std::shared_ptr<ContentObject>> contents;
    std::shared_ptr<StatusRegistration> registration;
    {
      const std::lock_guard lock(mutex_);
      if (closed_) return ERROR_INVALID_HANDLE;
      // From here on no operation starts and no invalidation runs: every pending operation
      // ends with ERROR_OPERATION_ABORTED below (spec §4.1).
      closed_ = true;
      for (const auto& stream : streams_) stream->closed = true;
      for (const auto& reader : readers_) reader->closed = true;
      for (const auto& content : contents_) content->closed = true;
      connection = connection_;
      operations = operations_;
      streams = streams_;
      readers = readers_;
      contents = contents_;
      registration = registration_;
    }
    watcher_wake_.notify_all();
    if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) watcher_.join();

    // Operations that send pieces (AddToStream, AddContentInformation, AddData) stop first,
    // so that no piece follows the Shutdown.
    for (const auto& operation : operations) {
      if (auto* add = dynamic_cast<AddOperation*>(operation.get())) {
        add->stop(ERROR_OPERATION_ABORTED);
      }
    }
    // The daemon aborts its pending requests (their Results come first, docs/ipc.md rule 4)
    // and removes the instance's non-persistent publications (rule 7).
    if (connection && connection->alive()) static_cast<void>(connection->call(ipc::Shutdown{}));
    for (const auto& operation : operations) {
      if (auto* add = dynamic_cast<AddOperation*>(operation.get())) {
        add->end_stopped();
      } else {
        operation->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
      }
    }
    if (registration) registration->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
    if (connection) connection->close();
    // The instance's handles go with it: their close functions need hPeerDist, which is gone.
    for (const auto& stream : streams)
      static_cast<void>(handle_table().remove<StreamObject>(stream->handle));
    for (const auto& reader : readers) {
      static_cast<void>(handle_table().remove<ContentInfoObject>(reader->handle));
    }
    for (const auto& content : contents) {
      static_cast<void>(handle_table().remove<ContentObject>(content->handle));
    }
    const std::lock_guard lock(mutex_);
    connection_.reset();
    streams_.clear();
    readers_.clear();
    contents_.clear();
    operations_.clear();
    registration_.reset();
    return ERROR_SUCCESS;
  } catch (...) {
    return error_from_current_exception();
  }
}

// ---- Connection ---------------------------------------------------------------------------

Expected<std::shared_ptr<Connection>, DWORD> InstanceObject::open_connection() {
  const std::string path = daemon_socket_path();
  auto connection = Connection::open(path, version_requested_, true, this);
  // The daemon refused the ring (docs/ipc.md, "Shared buffer" step 4): go inline.
  if (!connection && connection.error() == ERROR_INVALID_PARAMETER) {
    connection = Connection::open(path, version_requested_, false, this);
  }
  return connection;
}

std::shared_ptr<Connection> InstanceObject::connection(DWORD& error) {
  {
    const std::lock_guard lock(mutex_);
    if (closed_) {
      error = PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
      return nullptr;
    }
    if (connection_ && connection_->alive()) return connection_;
  }
  const std::lock_guard connect_lock(connect_mutex_);
  auto connection = connect_locked(error);
  if (connection == nullptr && error != PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS) {
    error = PEERDIST_ERROR_SERVICE_UNAVAILABLE;
  }
  return connection;
}

std::shared_ptr<Connection> InstanceObject::connect_locked(DWORD& error) {
  std::shared_ptr<Connection> old;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) {
      error = PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
      return nullptr;
    }
    if (connection_ && connection_->alive()) return connection_;
    old = std::move(connection_);
  }
  if (old) {
    // Usually done already by the old receiver thread; doing it here too makes sure no handle
    // of the old connection survives into the new one.
    invalidate_connection(old->id(), true);
    old->close();
  }
  auto opened = open_connection();
  if (!opened) {
    error = opened.error() == PEERDIST_ERROR_VERSION_UNSUPPORTED
                ? static_cast<DWORD>(PEERDIST_ERROR_VERSION_UNSUPPORTED)
                : static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE);
    const std::lock_guard lock(mutex_);
    service_.status = PEERDIST_STATUS_UNAVAILABLE;
    return nullptr;
  }
  std::shared_ptr<Connection> connection = std::move(*opened);
  std::shared_ptr<StatusRegistration> rearm;
  {
    std::unique_lock lock(mutex_);
    if (closed_) {
      lock.unlock();
      connection->close();
      error = PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
      return nullptr;
    }
    connection_ = connection;
    const ipc::HelloReply& hello = connection->hello();
    service_ = ServiceState{.status = to_status(hello.service_status),
                            .min_ci_version = hello.min_ci_version,
                            .max_ci_version = hello.max_ci_version};
    supported_version_ = hello.api_version;
    if (registration_ && registration_local_) {
      rearm = registration_;
      registration_local_ = false;
    }
  }
  if (rearm && !send_registration(connection, rearm)) registration_without_daemon(rearm);
  return connection;
}

void InstanceObject::invalidate_connection(std::uint64_t connection_id, bool lost) noexcept {
  try {
    std::vector<std::shared_ptr<Operation>> operations;
    std::shared_ptr<StatusRegistration> registration;
    {
      const std::lock_guard lock(mutex_);
      if (closed_) return;  // Shutdown ends everything with ERROR_OPERATION_ABORTED itself
      ++invalidations_;
      for (const auto& stream : streams_) {
        if (stream->connection_id == connection_id) stream->invalidated = true;
      }
      for (const auto& reader : readers_) {
        if (reader->connection_id == connection_id) reader->invalidated = true;
      }
      for (const auto& content : contents_) {
        if (content->connection_id == connection_id) content->invalidated = true;
      }
      for (const auto& operation : operations_) {
        if (operation->connection_id() == connection_id) operations.push_back(operation);
      }
      if (lost) {
        if (connection_ && connection_->id() == connection_id) {
          service_.status = PEERDIST_STATUS_UNAVAILABLE;
        }
        if (registration_ && !registration_local_ &&
            registration_->connection_id() == connection_id) {
          registration = registration_;
        }
      }
    }
    for (const auto& operation : operations) {
      operation->finish(OpResult{.status = PEERDIST_ERROR_INVALIDATED});
    }
    if (registration) registration_without_daemon(registration);
  } catch (...) {
    // Only allocation can fail here; the operations then end when their Results or the
    // connection's end reach them.
  }
}

void InstanceObject::on_status_changed(const Connection& connection,
                                       const ipc::StatusChanged& status) noexcept {
  bool disabled = false;
  {
    const std::lock_guard lock(mutex_);
    if (closed_ || connection_ == nullptr || connection_->id() != connection.id()) return;
    service_ = ServiceState{.status = to_status(status.service_status),
                            .min_ci_version = status.min_ci_version,
                            .max_ci_version = status.max_ci_version};
    disabled = service_.status != PEERDIST_STATUS_AVAILABLE;
  }
  // docs/api.md, "handles after disable": DISABLED or UNAVAILABLE invalidates every stream and
  // content-info handle; the daemon's own Results for their requests then find them ended.
  if (disabled) invalidate_connection(connection.id(), false);
}

void InstanceObject::on_connection_lost(const Connection& connection) noexcept {
  invalidate_connection(connection.id(), true);
}

// ---- Operations ---------------------------------------------------------------------------

void InstanceObject::operation_finished(Operation& operation, DWORD status) noexcept {
  const std::lock_guard lock(mutex_);
  erase_ptr(operations_, &operation);
  switch (operation.kind()) {
    case OperationKind::add_to_stream:
      for (const auto& stream : streams_) {
        if (std::ranges::any_of(stream->adds,
                                [&](const auto& a) { return a.get() == &operation; })) {
          erase_ptr(stream->adds, &operation);
          // docs/api.md: a cancelled or aborted AddToStream abandons the publication.
          if (status == ERROR_OPERATION_ABORTED) stream->abandoned = true;
        }
      }
      break;
    case OperationKind::complete_stream:
      for (const auto& stream : streams_) {
        if (stream->completing.get() != &operation) continue;
        stream->completing.reset();
        if (status == ERROR_SUCCESS) stream->completed = true;
        if (status == ERROR_OPERATION_ABORTED) stream->abandoned = true;
      }
      break;
    case OperationKind::retrieve_content_information:
      for (const auto& reader : readers_) {
        if (reader->retrieving.get() == &operation) reader->retrieving.reset();
      }
      break;
    case OperationKind::add_content_information:
    case OperationKind::complete_content_information:
    case OperationKind::add_data:
    case OperationKind::block_read:
    case OperationKind::stream_read:
      for (const auto& content : contents_) {
        erase_ptr(content->operations, &operation);
        if (content->adding_content_information.get() == &operation) {
          content->adding_content_information.reset();
        }
        if (content->completing.get() == &operation) content->completing.reset();
      }
      break;
    case OperationKind::flush_content:  // belongs to no handle
      break;
    case OperationKind::status_notification:
      if (registration_.get() == &operation) {
        // spec Q12: later registrations compare against the last status delivered.
        if (status == ERROR_SUCCESS) {
          last_reported_ = dynamic_cast<StatusRegistration&>(operation).delivered_status();
        }
        registration_.reset();
        registration_local_ = false;
      }
      break;
  }
}

// ---- Status -------------------------------------------------------------------------------

DWORD InstanceObject::get_status(PEERDIST_STATUS_INFO& out) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr && error == PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS) return error;
  PEERDIST_STATUS status = PEERDIST_STATUS_UNAVAILABLE;
  if (connection != nullptr) {
    const auto result = connection->call(ipc::GetStatus{});
    if (result) {
      if (result->status != ERROR_SUCCESS) return result->status;
      status = to_status(result->value);
    }
  }
  // docs/api.md: no service is ERROR_SUCCESS with UNAVAILABLE; the versions are the latest
  // the daemon announced (docs/ipc.md rule 6), or the default configuration's.
  const std::lock_guard lock(mutex_);
  out.status = status;
  out.dwMinVer = service_.min_ci_version;
  out.dwMaxVer = service_.max_ci_version;
  return ERROR_SUCCESS;
}

DWORD InstanceObject::service_info(std::string& out) {
  return text_request(ipc::ServiceInfo{}, out);
}

DWORD InstanceObject::cache_info(std::string& out) {
  return text_request(ipc::CacheInfo{}, out);
}

DWORD InstanceObject::cache_clear(std::string& out) {
  return text_request(ipc::CacheClear{}, out);
}

DWORD InstanceObject::text_request(const ipc::Message& message, std::string& out) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  const auto result = connection->call(message);
  if (!result) return result.error();
  if (result->status != ERROR_SUCCESS) return result->status;
  out.assign(result->data.begin(), result->data.end());
  return ERROR_SUCCESS;
}

DWORD InstanceObject::register_status(Completer completer, PEERDIST_STATUS* status,
                                      PEERDIST_STATUS_INFO* status_info) {
  // connect_mutex_ first: arming and re-arming on a reconnect must not interleave, or the
  // registration could be sent twice.
  const std::lock_guard connect_lock(connect_mutex_);
  std::shared_ptr<StatusRegistration> registration;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    // docs/api.md: one registration per instance; a second is ERROR_INVALID_PARAMETER.
    if (registration_) return ERROR_INVALID_PARAMETER;
    completer.begin();
    registration = std::make_shared<StatusRegistration>(weak_from_this(), std::move(completer),
                                                        status, status_info);
    registration_ = registration;
    registration_local_ = false;
  }
  arm_registration_locked(registration);
  return ERROR_IO_PENDING;
}

void InstanceObject::arm_registration_locked(
    const std::shared_ptr<StatusRegistration>& registration) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = connect_locked(error);
  if (connection != nullptr && send_registration(connection, registration)) return;
  registration_without_daemon(registration);
}

bool InstanceObject::send_registration(const std::shared_ptr<Connection>& connection,
                                       const std::shared_ptr<StatusRegistration>& registration) {
  PEERDIST_STATUS baseline = PEERDIST_STATUS_DISABLED;
  {
    const std::lock_guard lock(mutex_);
    baseline = last_reported_;
  }
  const ipc::RegisterStatusNotification message{.baseline_status =
                                                    static_cast<std::uint32_t>(baseline)};
  const std::uint64_t id =
      connection->send_request(message, registration, [&](std::uint64_t request_id) {
        registration->set_request(connection->id(), request_id);
        return true;
      });
  return id != 0;
}

void InstanceObject::registration_without_daemon(
    const std::shared_ptr<StatusRegistration>& registration) {
  ServiceState service;
  {
    const std::lock_guard lock(mutex_);
    if (closed_ || registration_ != registration) return;
    if (last_reported_ == PEERDIST_STATUS_UNAVAILABLE) {
      // Nothing new to report: wait in the library until a daemon answers.
      registration_local_ = true;
      start_watcher_locked();
      return;
    }
    service = service_;
  }
  registration->deliver(PEERDIST_STATUS_UNAVAILABLE, service.min_ci_version,
                        service.max_ci_version);
}

void InstanceObject::deliver_status(StatusRegistration& registration,
                                    std::uint64_t value) noexcept {
  ServiceState service;
  {
    const std::lock_guard lock(mutex_);
    service = service_;
  }
  registration.deliver(to_status(value), service.min_ci_version, service.max_ci_version);
}

DWORD InstanceObject::unregister_status() {
  const std::lock_guard connect_lock(connect_mutex_);
  std::shared_ptr<StatusRegistration> registration;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    // Nothing registered (or it has fired): nothing to cancel. docs/api.md does not say; like
    // Unpublish of an unknown identifier, this is ERROR_SUCCESS.
    if (!registration_) return ERROR_SUCCESS;
    registration = registration_;
    if (!registration_local_ && current_locked(registration->connection_id())) {
      connection = connection_;
    }
  }
  // The daemon completes the registration (ERROR_OPERATION_ABORTED) before answering
  // (docs/ipc.md rule 4, spec Q13).
  if (connection) static_cast<void>(connection->call(ipc::UnregisterStatusNotification{}));
  registration->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
  return ERROR_SUCCESS;
}

void InstanceObject::start_watcher_locked() {
  if (watcher_.joinable()) return;
  watcher_ = start_library_thread("peerdist-watch", [this] { watcher_loop(); });
}

void InstanceObject::watcher_loop() noexcept {
  try {
    std::unique_lock lock(mutex_);
    while (!closed_) {
      watcher_wake_.wait_for(lock, policy::kReconnectInterval);
      if (closed_) break;
      if (!registration_ || !registration_local_) continue;
      lock.unlock();
      {
        const std::lock_guard connect_lock(connect_mutex_);
        DWORD error = ERROR_SUCCESS;
        static_cast<void>(connect_locked(error));
      }
      lock.lock();
    }
  } catch (...) {
    // A lock error: the registration then fires on the program's next call instead.
  }
}

// ---- Server: publishing -------------------------------------------------------------------

std::shared_ptr<StreamObject> InstanceObject::stream(HANDLE handle) const {
  auto stream = handle_table().lookup<StreamObject>(handle);
  return stream != nullptr && stream->owner == this ? stream : nullptr;
}

std::shared_ptr<ContentInfoObject> InstanceObject::content_info(HANDLE handle) const {
  auto reader = handle_table().lookup<ContentInfoObject>(handle);
  return reader != nullptr && reader->owner == this ? reader : nullptr;
}

DWORD InstanceObject::publish_stream(std::span<const std::uint8_t> content_id,
                                     std::uint64_t content_length,
                                     const std::optional<PublishOptions>& options, HANDLE port,
                                     ULONG_PTR key, std::shared_ptr<StreamObject>& out) {
  if (!valid_content_id(content_id)) return ERROR_INVALID_PARAMETER;
  ipc::PublishStream message{.content_id = ipc::Blob(content_id.begin(), content_id.end()),
                             .content_length = content_length};
  if (options) {
    // docs/api.md: dwVersion must be 1 or 2; dwFlags holds only the Linux extensions.
    if (options->version != PEERDIST_PUBLICATION_OPTIONS_VERSION_1 &&
        options->version != PEERDIST_PUBLICATION_OPTIONS_VERSION_2) {
      return ERROR_INVALID_PARAMETER;
    }
    if ((options->flags & ~kKnownPublicationFlags) != 0) return ERROR_INVALID_PARAMETER;
    message.options_version = options->version;
    message.options_flags = options->flags;
  }
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  const std::uint64_t invalidations = invalidations_now();
  const auto result = connection->call(message);
  if (!result) return result.error();
  if (result->status != ERROR_SUCCESS) return result->status;

  auto stream = std::make_shared<StreamObject>(
      this, connection->id(), result->value,
      std::make_shared<const ipc::Blob>(std::move(message.content_id)), port, key);
  if (const DWORD entered = enter_handle(stream, connection->id(), invalidations, streams_);
      entered != ERROR_SUCCESS) {
    return entered;
  }
  out = std::move(stream);
  return ERROR_SUCCESS;
}

// Whether an add (of bytes or of a file) may start on `stream`; mutex_ held.
DWORD InstanceObject::refuse_add(const StreamObject& stream) const {
  if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
  if (stream.closed) return ERROR_INVALID_HANDLE;
  if (stream.invalidated) return PEERDIST_ERROR_INVALIDATED;
  // docs/api.md: after CompleteStream, or once abandoned, the handle only accepts Close;
  // Add and Complete are strictly sequential (spec §4.2).
  if (stream.completed || stream.abandoned || stream.completing) return ERROR_INVALID_PARAMETER;
  return ERROR_SUCCESS;
}

DWORD InstanceObject::add_to_stream(const std::shared_ptr<StreamObject>& stream,
                                    std::span<const std::uint8_t> data,
                                    std::shared_ptr<void> storage, Completer completer,
                                    bool allow_queue) {
  std::shared_ptr<AddOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD refused = refuse_add(*stream); refused != ERROR_SUCCESS) return refused;
    if (!allow_queue && !stream->adds.empty()) return ERROR_INVALID_PARAMETER;
    if (!current_locked(stream->connection_id)) return PEERDIST_ERROR_INVALIDATED;
    connection = connection_;
    completer.begin();
    // The daemon takes a new call only once the previous one's pieces are answered, so queued
    // adds (C++) are sent as one long call: no piece ends it (docs/ipc.md, AddToStream).
    const std::uint64_t daemon_stream = stream->daemon_id;
    const bool ends_call = !allow_queue;
    operation = std::make_shared<AddOperation>(
        OperationKind::add_to_stream, weak_from_this(), connection->id(), stream->content_id,
        std::move(completer),
        [daemon_stream, ends_call](std::uint64_t /*at*/, bool last, ipc::DataRef piece) {
          return ipc::AddToStream{
              .stream = daemon_stream, .last_piece = last && ends_call, .data = std::move(piece)};
        },
        data, std::move(storage), connection->ring());
    stream->adds.push_back(operation);
    operations_.push_back(operation);
  }
  connection->enqueue(operation);
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::complete_stream(const std::shared_ptr<StreamObject>& stream,
                                      Completer completer) {
  std::shared_ptr<CompleteStreamOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    if (stream->closed) return ERROR_INVALID_HANDLE;
    if (stream->invalidated) return PEERDIST_ERROR_INVALIDATED;
    if (stream->completed || stream->abandoned || stream->completing || !stream->adds.empty()) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!current_locked(stream->connection_id)) return PEERDIST_ERROR_INVALIDATED;
    connection = connection_;
    completer.begin();
    operation = std::make_shared<CompleteStreamOperation>(weak_from_this(), connection->id(),
                                                          stream->content_id, std::move(completer));
    stream->completing = operation;
    operations_.push_back(operation);
  }
  const std::uint64_t id = connection->send_request(
      ipc::CompleteStream{.stream = stream->daemon_id}, operation, [&](std::uint64_t request_id) {
        operation->set_request(connection->id(), request_id);
        return true;
      });
  if (id == 0) operation->finish(OpResult{.status = PEERDIST_ERROR_INVALIDATED});
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::close_stream(HANDLE handle) {
  const auto stream = this->stream(handle);
  if (stream == nullptr || handle_table().remove<StreamObject>(handle) == nullptr) {
    return ERROR_INVALID_HANDLE;
  }
  std::vector<std::shared_ptr<AddOperation>> adds;
  std::shared_ptr<CompleteStreamOperation> completing;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    erase_ptr(streams_, stream.get());
    stream->closed = true;
    adds = stream->adds;
    completing = stream->completing;
    if (!stream->daemon_closed && current_locked(stream->connection_id)) connection = connection_;
    stream->daemon_closed = true;
  }
  // docs/api.md: Close cancels what is pending (ERROR_OPERATION_ABORTED) and does not
  // unpublish a completed publication. Stop first, so no piece follows the CloseStream.
  for (const auto& add : adds) add->stop(ERROR_OPERATION_ABORTED);
  if (connection)
    static_cast<void>(connection->call(ipc::CloseStream{.stream = stream->daemon_id}));
  for (const auto& add : adds) add->end_stopped();
  if (completing) completing->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
  // An invalidated handle closes all the same (docs/api.md).
  return ERROR_SUCCESS;
}

void InstanceObject::close_abandoned_stream(const std::shared_ptr<Connection>& connection,
                                            const std::shared_ptr<StreamObject>& stream) {
  {
    const std::lock_guard lock(mutex_);
    if (stream->daemon_closed || stream->completed) return;
    stream->daemon_closed = true;
    stream->abandoned = true;
  }
  if (connection && connection->alive() && connection->id() == stream->connection_id) {
    static_cast<void>(connection->call(ipc::CloseStream{.stream = stream->daemon_id}));
  }
}

DWORD InstanceObject::unpublish(std::span<const std::uint8_t> content_id) {
  if (!valid_content_id(content_id)) return ERROR_INVALID_PARAMETER;
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  // Hold the AddToStreams on this content while the Unpublish is in flight, so that none
  // sends a piece after it; if it fails they go on.
  std::vector<std::shared_ptr<AddOperation>> held;
  std::vector<std::shared_ptr<StreamObject>> streams;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& stream : streams_) {
      if (!same_content(stream->content_id, content_id)) continue;
      streams.push_back(stream);
      for (const auto& add : stream->adds) {
        add->hold();
        held.push_back(add);
      }
    }
  }
  const auto result = connection->call(
      ipc::Unpublish{.content_id = ipc::Blob(content_id.begin(), content_id.end())});
  if (!result || result->status != ERROR_SUCCESS) {
    for (const auto& add : held) add->release_hold();
    return result ? result->status : result.error();
  }
  // docs/api.md: pending operations on that content in this instance complete with
  // ERROR_OPERATION_ABORTED. The daemon has aborted those it had (their Results came first);
  // the rest (pieces not yet sent) end here.
  for (const auto& add : held) {
    add->stop(ERROR_OPERATION_ABORTED);
    add->end_stopped();
  }
  std::vector<std::shared_ptr<Operation>> others;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& operation : operations_) {
      if (same_content(operation->content_id(), content_id)) others.push_back(operation);
    }
  }
  for (const auto& operation : others) {
    operation->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
  }
  for (const auto& stream : streams) {
    bool abandoned = false;
    {
      const std::lock_guard lock(mutex_);
      abandoned = stream->abandoned;
    }
    if (abandoned) close_abandoned_stream(connection, stream);
  }
  return ERROR_SUCCESS;
}

Expected<std::optional<RingLease>, DWORD> InstanceObject::acquire_ring(std::size_t length) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return Unexpected(error);
  const auto& ring = connection->ring();
  if (ring == nullptr) return std::optional<RingLease>();
  auto lease = ring->acquire(length, [&connection] { return !connection->alive(); });
  if (!lease) return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  return std::optional<RingLease>(std::move(*lease));
}

// ---- Server: content information ----------------------------------------------------------

DWORD InstanceObject::open_content_information(std::span<const std::uint8_t> content_id,
                                               std::uint64_t offset, std::uint64_t length,
                                               const std::optional<VersionRange>& versions,
                                               HANDLE port, ULONG_PTR key,
                                               std::shared_ptr<ContentInfoObject>& out) {
  if (!valid_content_id(content_id)) return ERROR_INVALID_PARAMETER;
  if (offset > UINT64_MAX - length) return ERROR_INVALID_PARAMETER;  // the range would wrap
  if (versions && versions->min > versions->max) return ERROR_INVALID_PARAMETER;
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  ipc::OpenContentInformation message{.content_id = ipc::Blob(content_id.begin(), content_id.end()),
                                      .offset = offset,
                                      .length = length};
  std::uint64_t invalidations = 0;
  {
    const std::lock_guard lock(mutex_);
    invalidations = invalidations_;
    // Non-Ex: the highest configured version (docs/api.md, spec Q16). peerdistd reads 0, 0 as
    // "any version": the highest configured one the publication has. (docs/ipc.md's "the
    // non-Ex call sends 1, 1" would give V1, against docs/api.md.)
    message.min_version = versions ? versions->min : 0;
    message.max_version = versions ? versions->max : 0;
  }
  const auto result = connection->call(message);
  if (!result) return result.error();
  if (result->status != ERROR_SUCCESS) return result->status;

  auto reader = std::make_shared<ContentInfoObject>(
      this, connection->id(), result->value,
      std::make_shared<const ipc::Blob>(std::move(message.content_id)), port, key);
  if (const DWORD entered = enter_handle(reader, connection->id(), invalidations, readers_);
      entered != ERROR_SUCCESS) {
    return entered;
  }
  out = std::move(reader);
  return ERROR_SUCCESS;
}

DWORD InstanceObject::retrieve(const std::shared_ptr<ContentInfoObject>& reader,
                               std::uint8_t* buffer, DWORD capacity, Completer completer) {
  std::shared_ptr<RetrieveOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    if (reader->closed) return ERROR_INVALID_HANDLE;
    if (reader->invalidated) return PEERDIST_ERROR_INVALIDATED;
    // docs/api.md: one Retrieve in flight per handle.
    if (reader->retrieving) return ERROR_INVALID_PARAMETER;
    if (!current_locked(reader->connection_id)) return PEERDIST_ERROR_INVALIDATED;
    connection = connection_;
    completer.begin();
    operation =
        std::make_shared<RetrieveOperation>(weak_from_this(), connection->id(), reader->content_id,
                                            std::move(completer), buffer, capacity);
    reader->retrieving = operation;
    operations_.push_back(operation);
  }
  const std::uint64_t id = connection->send_request(
      ipc::RetrieveContentInformation{.content_info = reader->daemon_id, .max_bytes = capacity},
      operation, [&](std::uint64_t request_id) {
        operation->set_request(connection->id(), request_id);
        return true;
      });
  if (id == 0) operation->finish(OpResult{.status = PEERDIST_ERROR_INVALIDATED});
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::close_content_information(HANDLE handle) {
  const auto reader = content_info(handle);
  if (reader == nullptr || handle_table().remove<ContentInfoObject>(handle) == nullptr) {
    return ERROR_INVALID_HANDLE;
  }
  std::shared_ptr<RetrieveOperation> retrieving;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    erase_ptr(readers_, reader.get());
    reader->closed = true;
    retrieving = reader->retrieving;
    if (current_locked(reader->connection_id)) connection = connection_;
  }
  // The daemon aborts the pending Retrieve before answering (docs/ipc.md rule 4).
  if (connection) {
    static_cast<void>(
        connection->call(ipc::CloseContentInformation{.content_info = reader->daemon_id}));
  }
  if (retrieving) retrieving->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
  return ERROR_SUCCESS;
}

// ---- Cancel -------------------------------------------------------------------------------

DWORD InstanceObject::cancel(std::span<const std::uint8_t> content_id,
                             const OVERLAPPED* overlapped) {
  if (!valid_content_id(content_id)) return ERROR_INVALID_PARAMETER;
  std::shared_ptr<Operation> operation;
  std::shared_ptr<StreamObject> stream;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    // docs/api.md: found by identifier and OVERLAPPED among this instance's pending operations.
    for (const auto& candidate : operations_) {
      if (candidate->overlapped() == overlapped &&
          same_content(candidate->content_id(), content_id)) {
        operation = candidate;
        break;
      }
    }
    if (!operation) return PEERDIST_ERROR_OPERATION_NOTFOUND;
    for (const auto& s : streams_) {
      if (std::ranges::any_of(s->adds, [&](const auto& a) { return a == operation; }) ||
          s->completing == operation) {
        stream = s;
      }
    }
    connection = connection_;
  }

  if (!cancel_operation(connection, *operation)) return PEERDIST_ERROR_OPERATION_NOTFOUND;
  if (stream) close_abandoned_stream(connection, stream);
  return ERROR_SUCCESS;
}

bool InstanceObject::cancel_operation(const std::shared_ptr<Connection>& connection,
                                      Operation& operation) {
  if (auto* add = dynamic_cast<AddOperation*>(&operation)) {
    if (!add->stop(ERROR_OPERATION_ABORTED)) return false;
    // Every piece the operation admitted is on the wire now; cancel those not yet answered.
    // Each Cancel's Result comes after the cancelled piece's (docs/ipc.md rule 4).
    if (connection) {
      for (const std::uint64_t id : add->outstanding()) {
        static_cast<void>(connection->call(ipc::Cancel{.target_request_id = id}));
      }
    }
    add->end_stopped();
  } else {
    auto& request = dynamic_cast<RequestOperation&>(operation);
    if (connection && request.request_id() != 0) {
      const auto answered =
          connection->call(ipc::Cancel{.target_request_id = request.request_id()});
      // The target's Result precedes the Cancel's (rule 4). Still pending now means the daemon
      // had not seen the request yet, or did not answer it: the cancel ends it here, so that
      // "the completion is posted before the call returns" holds whatever the daemon did.
      if (answered) request.finish(OpResult{.status = ERROR_OPERATION_ABORTED});
    }
  }
  // Cancelled only if this cancel's ERROR_OPERATION_ABORTED is the completion that was posted;
  // an operation that completed first was not cancelled (exactly one completion).
  return operation.finished() && operation.final_status() == ERROR_OPERATION_ABORTED;
}

}  // namespace peerdist::api
