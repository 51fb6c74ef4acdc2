// A pending PeerDistRegisterForStatusChangeNotification(Ex) (one per instance, docs/api.md).
// It is armed either on the daemon (a RegisterStatusNotification request whose Result carries the
// new status) or, while no daemon answers, in the library alone, which then reconnects
// periodically and re-sends it (docs/api.md: Startup succeeds without a service).
#pragma once

#include <peerdist.h>

#include <cstdint>

#include "core/request_operations.hpp"

namespace peerdist::api {

class StatusRegistration final : public RequestOperation {
 public:
  // Exactly one of status / status_info is non-null: where the new status goes (the Ex form
  // also gets the CI versions). Both are the library's until completion (spec §2.1).
  StatusRegistration(std::weak_ptr<InstanceObject> instance, Completer completer,
                     PEERDIST_STATUS* status, PEERDIST_STATUS_INFO* status_info)
      : RequestOperation(OperationKind::status_notification, instance, 0, nullptr,
                         std::move(completer)),
        instance_(std::move(instance)),
        status_(status),
        status_info_(status_info) {}

  // Writes the new status into the caller's variable and completes with ERROR_SUCCESS.
  bool deliver(PEERDIST_STATUS status, std::uint32_t min_ci_version,
               std::uint32_t max_ci_version) noexcept;

  // The status deliver() wrote (for the instance's "last status reported", spec Q12).
  [[nodiscard]] PEERDIST_STATUS delivered_status() const noexcept { return delivered_; }

  void on_result(ipc::Result&& result) noexcept override;
  // The instance decides what a lost connection means for a notification (UNAVAILABLE, or
  // re-arm when that was already the last status reported).
  void on_connection_lost() noexcept override {}

 private:
  std::weak_ptr<InstanceObject> instance_;
  PEERDIST_STATUS* const status_;
  PEERDIST_STATUS_INFO* const status_info_;
  PEERDIST_STATUS delivered_ = PEERDIST_STATUS_DISABLED;
};

}  // namespace peerdist::api
