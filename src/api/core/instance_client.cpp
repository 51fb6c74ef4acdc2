// The client side of an instance (spec §2.3, docs/distributed-cache.md): content handles and
// their operations. The parameters were checked by the C or C++ API; what involves state is
// here: one AddContentInformation in flight per handle, INVALIDATED handles, cancel and close.
// What the content and the cache decide (order of calls, missing data, bounds) is the daemon's
// (docs/ipc.md, "The client side").
#include <algorithm>
#include <utility>

#include "core/add_operation.hpp"
#include "core/instance.hpp"
#include "core/operation.hpp"
#include "core/request_operations.hpp"

namespace peerdist::api {
namespace {

// Reads answer at most this much (docs/ipc.md, BlockRead): a larger buffer is asked for this
// much, and the read completes on what came, as a read on partial data does anyway.
DWORD clamp_read(DWORD capacity) noexcept {
  return std::min<DWORD>(capacity, ipc::kMaxInlineData);
}

}  // namespace

std::shared_ptr<ContentObject> InstanceObject::content(HANDLE handle) const {
  auto content = handle_table().lookup<ContentObject>(handle);
  return content != nullptr && content->owner == this ? content : nullptr;
}

DWORD InstanceObject::usable_locked(const ContentObject& content) const {
  if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
  if (content.closed) return ERROR_INVALID_HANDLE;
  if (content.invalidated || !current_locked(content.connection_id)) {
    return PEERDIST_ERROR_INVALIDATED;
  }
  return ERROR_SUCCESS;
}

void InstanceObject::track_locked(const std::shared_ptr<ContentObject>& content,
                                  const std::shared_ptr<Operation>& operation) {
  content->operations.push_back(operation);
  operations_.push_back(operation);
}

void InstanceObject::send_single(const std::shared_ptr<Connection>& connection,
                                 const ipc::Message& message,
                                 const std::shared_ptr<RequestOperation>& operation) {
  const std::uint64_t id =
      connection->send_request(message, operation, [&](std::uint64_t request_id) {
        operation->set_request(connection->id(), request_id);
        return true;
      });
  if (id == 0) operation->finish(OpResult{.status = PEERDIST_ERROR_INVALIDATED});
}

// ---- Open and close -------------------------------------------------------------------------

DWORD InstanceObject::open_content(const ipc::ContentTag& tag, HANDLE port, ULONG_PTR key,
                                   std::shared_ptr<ContentObject>& out) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  const std::uint64_t invalidations = invalidations_now();
  const auto result = connection->call(ipc::OpenContent{.tag = tag});
  if (!result) return result.error();
  if (result->status != ERROR_SUCCESS) return result->status;

  auto content =
      std::make_shared<ContentObject>(this, connection->id(), result->value, tag, port, key);
  if (const DWORD entered = enter_handle(content, connection->id(), invalidations, contents_);
      entered != ERROR_SUCCESS) {
    return entered;
  }
  out = std::move(content);
  return ERROR_SUCCESS;
}

DWORD InstanceObject::close_content(HANDLE handle) {
  const auto content = this->content(handle);
  if (content == nullptr || handle_table().remove<ContentObject>(handle) == nullptr) {
    return ERROR_INVALID_HANDLE;
  }
  std::vector<std::shared_ptr<Operation>> operations;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    std::erase_if(contents_, [&](const auto& c) { return c == content; });
    content->closed = true;
    operations = content->operations;
    if (current_locked(content->connection_id)) connection = connection_;
  }
  // spec §2.3: Close cancels every pending operation (ERROR_OPERATION_ABORTED). Pieces stop
  // first, so that none follows the CloseContent; the daemon answers the ones it has before
  // its own Result (docs/ipc.md rule 4), and the rest end here.
  for (const auto& operation : operations) {
    if (auto* add = dynamic_cast<AddOperation*>(operation.get())) {
      add->stop(ERROR_OPERATION_ABORTED);
    }
  }
  if (connection) {
    static_cast<void>(connection->call(ipc::CloseContent{.content = content->daemon_id}));
  }
  for (const auto& operation : operations) {
    if (auto* add = dynamic_cast<AddOperation*>(operation.get())) {
      add->end_stopped();
    } else {
      operation->finish(OpResult{.status = ERROR_OPERATION_ABORTED});
    }
  }
  // An invalidated handle closes all the same (docs/api.md).
  return ERROR_SUCCESS;
}

// ---- Content information and data ----------------------------------------------------------

DWORD InstanceObject::add_content_information(const std::shared_ptr<ContentObject>& content,
                                              std::span<const std::uint8_t> data,
                                              std::shared_ptr<void> storage, Completer completer) {
  std::shared_ptr<AddOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    // spec §2.3: one AddContentInformation outstanding per handle, and none while Complete is
    // in flight.
    if (content->completing || content->adding_content_information) {
      return ERROR_INVALID_PARAMETER;
    }
    connection = connection_;
    completer.begin();
    const std::uint64_t daemon_content = content->daemon_id;
    operation = std::make_shared<AddOperation>(
        OperationKind::add_content_information, weak_from_this(), connection->id(), nullptr,
        std::move(completer),
        [daemon_content](std::uint64_t /*at*/, bool /*last*/, ipc::DataRef piece) {
          return ipc::AddContentInformation{.content = daemon_content, .data = std::move(piece)};
        },
        data, std::move(storage), connection->ring());
    content->adding_content_information = operation;
    track_locked(content, operation);
  }
  connection->enqueue(operation);
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::complete_content_information(const std::shared_ptr<ContentObject>& content,
                                                   Completer completer) {
  std::shared_ptr<RequestOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    // Complete ends the content information: not while a piece of it is still on its way, and
    // once at a time (spec Q11).
    if (content->completing || content->adding_content_information) {
      return ERROR_INVALID_PARAMETER;
    }
    connection = connection_;
    completer.begin();
    operation = std::make_shared<RequestOperation>(OperationKind::complete_content_information,
                                                   weak_from_this(), connection->id(), nullptr,
                                                   std::move(completer));
    content->completing = operation;
    track_locked(content, operation);
  }
  send_single(connection, ipc::CompleteContentInformation{.content = content->daemon_id},
              operation);
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::add_data(const std::shared_ptr<ContentObject>& content, std::uint64_t offset,
                               std::span<const std::uint8_t> data, std::shared_ptr<void> storage,
                               Completer completer) {
  // The last byte's offset must fit in 64 bits.
  if (!data.empty() && offset > UINT64_MAX - (data.size() - 1)) return ERROR_INVALID_PARAMETER;
  std::shared_ptr<AddOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    connection = connection_;
    completer.begin();
    const std::uint64_t daemon_content = content->daemon_id;
    // Each piece carries its own absolute offset, so pieces of different calls may interleave.
    operation = std::make_shared<AddOperation>(
        OperationKind::add_data, weak_from_this(), connection->id(), nullptr, std::move(completer),
        [daemon_content, offset](std::uint64_t at, bool /*last*/, ipc::DataRef piece) {
          return ipc::AddData{
              .content = daemon_content, .offset = offset + at, .data = std::move(piece)};
        },
        data, std::move(storage), connection->ring());
    track_locked(content, operation);
  }
  connection->enqueue(operation);
  return ERROR_IO_PENDING;
}

// ---- Reads ----------------------------------------------------------------------------------

DWORD InstanceObject::read(const std::shared_ptr<ContentObject>& content,
                           const ReadRequest& request, Completer completer) {
  std::shared_ptr<ReadOperation> operation;
  std::shared_ptr<Connection> connection;
  const DWORD capacity = clamp_read(request.capacity);
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    connection = connection_;
    completer.begin();
    operation = std::make_shared<ReadOperation>(
        request.offset ? OperationKind::block_read : OperationKind::stream_read, weak_from_this(),
        connection->id(), std::move(completer), request.buffer, capacity);
    track_locked(content, operation);
  }
  // Many reads may be pending on a handle; StreamReads are served in the order they are sent
  // (docs/ipc.md), which is the order of the calls for each thread.
  if (request.offset) {
    send_single(connection,
                ipc::BlockRead{.content = content->daemon_id,
                               .offset = *request.offset,
                               .max_bytes = capacity,
                               .timeout_ms = request.timeout_ms},
                operation);
  } else {
    send_single(
        connection,
        ipc::StreamRead{
            .content = content->daemon_id, .max_bytes = capacity, .timeout_ms = request.timeout_ms},
        operation);
  }
  return ERROR_IO_PENDING;
}

// ---- Handle-less and synchronous calls ------------------------------------------------------

DWORD InstanceObject::flush_content(const ipc::ContentTag& tag, Completer completer) {
  DWORD error = ERROR_SUCCESS;
  const auto connection = this->connection(error);
  if (connection == nullptr) return error;
  std::shared_ptr<RequestOperation> operation;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
    completer.begin();
    operation = std::make_shared<RequestOperation>(OperationKind::flush_content, weak_from_this(),
                                                   connection->id(), nullptr, std::move(completer));
    operations_.push_back(operation);
  }
  send_single(connection, ipc::FlushContent{.tag = tag}, operation);
  return ERROR_IO_PENDING;
}

DWORD InstanceObject::cancel_content(const std::shared_ptr<ContentObject>& content,
                                     const OVERLAPPED* overlapped) {
  std::vector<std::shared_ptr<Operation>> targets;
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    for (const auto& operation : content->operations) {
      if (overlapped == nullptr || operation->overlapped() == overlapped) {
        targets.push_back(operation);
      }
    }
    connection = connection_;
  }
  if (overlapped == nullptr) {
    // Everything on the handle; finding nothing pending is no error.
    for (const auto& operation : targets) {
      static_cast<void>(cancel_operation(connection, *operation));
    }
    return ERROR_SUCCESS;
  }
  if (targets.empty()) return PEERDIST_ERROR_OPERATION_NOTFOUND;
  // One OVERLAPPED names one operation (the caller owns it until completion).
  return cancel_operation(connection, *targets.front()) ? ERROR_SUCCESS
                                                        : PEERDIST_ERROR_OPERATION_NOTFOUND;
}

DWORD InstanceObject::client_basic_info(const std::shared_ptr<ContentObject>& content,
                                        PEERDIST_CLIENT_BASIC_INFO& out) {
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    if (const DWORD error = usable_locked(*content); error != ERROR_SUCCESS) return error;
    connection = connection_;
  }
  const auto result = connection->call(
      ipc::GetClientInformation{.content = content->daemon_id,
                                .info_class = static_cast<std::uint32_t>(PeerDistClientBasicInfo)});
  if (!result) return result.error();
  if (result->status != ERROR_SUCCESS) return result->status;
  // docs/ipc.md: PEERDIST_CLIENT_BASIC_INFO, 4 bytes, fFlashCrowd as a little-endian i32.
  if (result->data.size() != sizeof(PEERDIST_CLIENT_BASIC_INFO)) return ERROR_INVALID_DATA;
  const std::uint32_t flag = static_cast<std::uint32_t>(result->data[0]) |
                             (static_cast<std::uint32_t>(result->data[1]) << 8U) |
                             (static_cast<std::uint32_t>(result->data[2]) << 16U) |
                             (static_cast<std::uint32_t>(result->data[3]) << 24U);
  out.fFlashCrowd = flag != 0 ? TRUE : FALSE;
  return ERROR_SUCCESS;
}

}  // namespace peerdist::api
