// One asynchronous API operation from ERROR_IO_PENDING to its completion (spec §4.5): an
// AddToStream, CompleteStream, RetrieveContentInformation, status notification, or one of the
// client functions' (AddContentInformation, CompleteContentInformation, AddData, BlockRead,
// StreamRead, FlushContent). The instance keeps every unfinished one, to find it for
// PeerDistServerCancelAsyncOperation (content identifier + OVERLAPPED) or
// PeerDistClientCancelAsyncOperation (content handle + OVERLAPPED) and to end it at Shutdown or
// when the service goes away.
//
// finish() decides, under the operation's lock, which of the racing paths (the daemon's Result,
// a cancel, an invalidation, Shutdown) ends it: the first; the others find it finished and do
// nothing. That is what makes "exactly one completion per operation, ever" (docs/api.md) hold.
#pragma once

#include <peerdist_win32.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "peerdist/ipc/messages.hpp"

#include "core/completer.hpp"

namespace peerdist::api {

class InstanceObject;

enum class OperationKind : std::uint8_t {
  add_to_stream,
  complete_stream,
  retrieve_content_information,
  status_notification,
  // The client side (spec §2.3).
  add_content_information,
  complete_content_information,
  add_data,
  block_read,
  stream_read,
  flush_content,
};

class Operation {
 public:
  Operation(OperationKind kind, std::weak_ptr<InstanceObject> instance, std::uint64_t connection_id,
            std::shared_ptr<const ipc::Blob> content_id, Completer completer) noexcept;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;
  Operation(Operation&&) = delete;
  Operation& operator=(Operation&&) = delete;
  virtual ~Operation() = default;

  [[nodiscard]] OperationKind kind() const noexcept { return kind_; }
  // The connection whose requests carry this operation (0: none yet).
  [[nodiscard]] std::uint64_t connection_id() const noexcept { return connection_id_; }
  // The content identifier of the stream or content-info handle it runs on (null for a status
  // notification and the client operations); with the OVERLAPPED, how ServerCancelAsyncOperation
  // names it.
  [[nodiscard]] const std::shared_ptr<const ipc::Blob>& content_id() const noexcept {
    return content_id_;
  }
  [[nodiscard]] OVERLAPPED* overlapped() const noexcept { return overlapped_; }

  [[nodiscard]] bool finished() const;
  // The status it completed with; meaningful once finished().
  [[nodiscard]] DWORD final_status() const;

  // Ends the operation with `result` unless it has ended already; true if this call ended it.
  bool finish(const OpResult& result) noexcept;

 protected:
  // For subclasses that must act atomically with the decision to end (a Retrieve copies the
  // data into the caller's buffer only if it is still the one to complete): check finished_
  // under mutex_, act, then call this, which unlocks.
  bool finish_locked(std::unique_lock<std::mutex>& lock, const OpResult& result) noexcept;
  [[nodiscard]] bool finished_locked() const noexcept { return finished_; }
  // Runs once, right after the operation is marked finished and before the instance forgets it
  // and the completion is delivered; no lock held.
  virtual void on_finished() noexcept {}
  void set_connection_id(std::uint64_t id) noexcept { connection_id_ = id; }
  // Guards the operation's state, this class's and the subclass's.
  [[nodiscard]] std::mutex& mutex() const noexcept { return mutex_; }

 private:
  mutable std::mutex mutex_;
  const OperationKind kind_;
  const std::weak_ptr<InstanceObject> instance_;
  std::uint64_t connection_id_;
  const std::shared_ptr<const ipc::Blob> content_id_;
  OVERLAPPED* const overlapped_;
  Completer completer_;
  bool finished_ = false;
  DWORD final_status_ = ERROR_SUCCESS;
};

}  // namespace peerdist::api
