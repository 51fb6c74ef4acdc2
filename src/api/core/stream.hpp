// A publication stream handle (PeerDistServerPublishStream): the daemon's stream id, the port
// and key its AddToStream/CompleteStream completions go to (spec §1.2), and its state.
#pragma once

#include <peerdist_win32.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "peerdist/api/handle_table.hpp"
#include "peerdist/ipc/messages.hpp"

namespace peerdist::api {

class InstanceObject;
class AddOperation;
class CompleteStreamOperation;

class StreamObject final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_stream;

  StreamObject(const InstanceObject* owning_instance, std::uint64_t connection, std::uint64_t id,
               std::shared_ptr<const ipc::Blob> content, HANDLE completion_port,
               ULONG_PTR completion_key) noexcept
      : HandleObject(kKind),
        owner(owning_instance),
        connection_id(connection),
        daemon_id(id),
        content_id(std::move(content)),
        port(completion_port),
        key(completion_key) {}

  // Identity only (a handle of another instance is ERROR_INVALID_HANDLE); never dereferenced.
  const InstanceObject* const owner;
  // The connection the daemon's id belongs to.
  const std::uint64_t connection_id;
  const std::uint64_t daemon_id;
  const std::shared_ptr<const ipc::Blob> content_id;
  HANDLE port;  // set at creation, never changed
  const ULONG_PTR key;

  // Guarded by the owning instance's mutex.
  HANDLE handle = nullptr;     // this object's own handle value
  bool invalidated = false;    // the service went DISABLED/UNAVAILABLE (docs/api.md)
  bool completed = false;      // CompleteStream succeeded: only Close is accepted
  bool abandoned = false;      // an Add/Complete was cancelled or aborted: only Close
  bool daemon_closed = false;  // the library already sent CloseStream for it
  bool closed = false;         // the application closed it (C++ objects may still hold it)
  // The C API allows one AddToStream in flight (docs/api.md); the C++ API queues several.
  std::vector<std::shared_ptr<AddOperation>> adds;
  std::shared_ptr<CompleteStreamOperation> completing;
};

}  // namespace peerdist::api
