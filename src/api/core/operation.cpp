#include "core/operation.hpp"

#include <utility>

#include "core/instance.hpp"

namespace peerdist::api {

Operation::Operation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
                     std::uint64_t connection_id, std::shared_ptr<const ipc::Blob> content_id,
                     Completer completer) noexcept
    : kind_(kind),
      instance_(std::move(instance)),
      connection_id_(connection_id),
      content_id_(std::move(content_id)),
      overlapped_(completer.overlapped()),
      completer_(std::move(completer)) {}

bool Operation::finished() const {
  const std::lock_guard lock(mutex_);
  return finished_;
}

DWORD Operation::final_status() const {
  const std::lock_guard lock(mutex_);
  return final_status_;
}

bool Operation::finish(const OpResult& result) noexcept {
  std::unique_lock lock(mutex_);
  return finish_locked(lock, result);
}

bool Operation::finish_locked(std::unique_lock<std::mutex>& lock, const OpResult& result) noexcept {
  if (finished_) return false;
  finished_ = true;
  final_status_ = result.status;
  lock.unlock();
  on_finished();
  // The instance forgets the operation (and frees the handle's "in flight" slot) before the
  // completion is delivered, so that the application may start the next operation on the
  // handle as soon as it sees this one complete.
  if (const auto instance = instance_.lock()) instance->operation_finished(*this, result.status);
  completer_.complete(result);
  return true;
}

}  // namespace peerdist::api
