#include "core/status_registration.hpp"

#include "core/instance.hpp"

namespace peerdist::api {

bool StatusRegistration::deliver(PEERDIST_STATUS status, std::uint32_t min_ci_version,
                                 std::uint32_t max_ci_version) noexcept {
  std::unique_lock lock(mutex());
  if (finished_locked()) return false;
  delivered_ = status;
  if (status_ != nullptr) *status_ = status;
  if (status_info_ != nullptr) {
    // cbSize is the caller's (in,out); the rest is ours to fill (spec Q15).
    status_info_->status = status;
    status_info_->dwMinVer = min_ci_version;
    status_info_->dwMaxVer = max_ci_version;
  }
  return finish_locked(lock, OpResult{.status = ERROR_SUCCESS});
}

void StatusRegistration::on_result(ipc::Result&& result) noexcept {
  if (result.status != ERROR_SUCCESS) {
    finish(OpResult{.status = result.status});
    return;
  }
  const auto instance = instance_.lock();
  if (instance == nullptr) {
    finish(OpResult{.status = ERROR_OPERATION_ABORTED});
    return;
  }
  // docs/ipc.md rule 6: the StatusChanged that announced this status came first, so the
  // instance's CI versions are current.
  instance->deliver_status(*this, result.value);
}

}  // namespace peerdist::api
