#include "core/completer.hpp"

#include "peerdist/api/completion.hpp"

namespace peerdist::api {

void Completer::begin() noexcept {
  if (overlapped_ != nullptr) mark_pending(overlapped_);
}

void Completer::complete(const OpResult& result) noexcept {
  if (overlapped_ != nullptr) {
    if (writes_offset_) {
      // Written before complete_overlapped publishes Internal with release ordering, so a
      // thread that sees the operation complete sees the offset too.
      overlapped_->Offset = static_cast<DWORD>(result.offset & 0xffffffffU);
      overlapped_->OffsetHigh = static_cast<DWORD>(result.offset >> 32U);
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
