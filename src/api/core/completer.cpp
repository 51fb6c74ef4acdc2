#include "core/completer.hpp"

#include "peerdist/api/completion.hpp"

namespace peerdist::api {

void Completer::begin() noexcept {
  if (overlapped_ != nullptr) mark_pending(overlapped_);
}

void Completer::complete(const OpResult& given) noexcept {
  OpResult result = given;
  // STATUS_PENDING (259) in Internal means "not completed": a daemon that answered with it
  // would leave the application waiting forever. PeerDist never completes with that code.
  if (result.status == STATUS_PENDING) result.status = ERROR_INVALID_DATA;
  if (overlapped_ != nullptr) {
    if (writes_offset_) {
      // Written before complete_overlapped publishes Internal with release ordering, so a
      // thread that sees the operation complete sees the offset too.
      // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access): OVERLAPPED is Windows' layout
      overlapped_->Offset = static_cast<DWORD>(result.offset & 0xffffffffU);
      overlapped_->OffsetHigh = static_cast<DWORD>(result.offset >> 32U);
      // NOLINTEND(cppcoreguidelines-pro-type-union-access)
    }
    complete_overlapped(overlapped_, result.status, result.bytes, port_, key_);
    overlapped_ = nullptr;
    return;
  }
  if (callback_) {
    auto callback = std::move(callback_);
    callback_ = nullptr;
    callback(result);
  }
}

}  // namespace peerdist::api
