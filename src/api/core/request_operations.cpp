#include "core/request_operations.hpp"

#include <cstring>

namespace peerdist::api {

void RequestOperation::set_request(std::uint64_t connection_id, std::uint64_t request_id) noexcept {
  {
    const std::lock_guard lock(mutex());
    set_connection_id(connection_id);
  }
  request_id_.store(request_id, std::memory_order_release);
}

void RequestOperation::on_result(ipc::Result&& result) noexcept {
  finish(OpResult{.status = result.status, .bytes = result.bytes, .offset = result.value});
}

void RequestOperation::on_connection_lost() noexcept {
  finish(OpResult{.status = PEERDIST_ERROR_INVALIDATED});
}

void RetrieveOperation::on_result(ipc::Result&& result) noexcept {
  std::unique_lock lock(mutex());
  if (finished_locked()) return;
  if (result.status != ERROR_SUCCESS) {
    finish_locked(lock, OpResult{.status = result.status});
    return;
  }
  // docs/ipc.md: data is at most min(max_bytes, 4 MiB) and bytes is its size. A daemon that
  // breaks that must not make us write past the caller's buffer.
  if (result.data.size() > capacity_ || result.data.size() != result.bytes) {
    finish_locked(lock, OpResult{.status = ERROR_INVALID_DATA});
    return;
  }
  if (!result.data.empty()) std::memcpy(buffer_, result.data.data(), result.data.size());
  finish_locked(lock, OpResult{.status = ERROR_SUCCESS,
                               .bytes = static_cast<DWORD>(result.data.size()),
                               .offset = result.value});
}

void ReadOperation::on_result(ipc::Result&& result) noexcept {
  std::unique_lock lock(mutex());
  if (finished_locked()) return;
  if (result.status == PEERDIST_ERROR_MISSING_DATA || result.status == ERROR_TIMEOUT) {
    // The missing range: where it starts and how long it is; no data.
    finish_locked(lock,
                  OpResult{.status = result.status, .bytes = result.bytes, .offset = result.value});
    return;
  }
  if (result.status != ERROR_SUCCESS) {
    finish_locked(lock, OpResult{.status = result.status});
    return;
  }
  // docs/ipc.md: data is at most max_bytes (the capacity, clamped) and bytes is its size; a
  // query (capacity 0) gets a count and no data. A daemon that breaks that must not make us
  // write past the caller's buffer.
  const bool query = capacity_ == 0;
  if (result.data.size() > capacity_ || (!query && result.data.size() != result.bytes)) {
    finish_locked(lock, OpResult{.status = ERROR_INVALID_DATA});
    return;
  }
  if (!result.data.empty()) std::memcpy(buffer_, result.data.data(), result.data.size());
  finish_locked(lock,
                OpResult{.status = ERROR_SUCCESS, .bytes = result.bytes, .offset = result.value});
}

}  // namespace peerdist::api
