#include "core/add_operation.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <variant>

#include "core/policy.hpp"

namespace peerdist::api {
namespace {

// The Result of one piece. Holds the piece's ring slots until the daemon has consumed them (it
// reads them in place until it answers, docs/ipc.md "Shared buffer" step 5), and the operation
// alive (with any zero-copy buffer it owns) for as long as a piece is outstanding.
class PieceHandler final : public ResultHandler {
 public:
  PieceHandler(std::shared_ptr<AddOperation> operation, RingLease lease) noexcept
      : operation_(std::move(operation)), lease_(std::move(lease)) {}

  void set_request_id(std::uint64_t id) noexcept { request_id_ = id; }

  void on_result(ipc::Result&& result) noexcept override {
    lease_.reset();
    operation_->piece_answered(request_id_, result);
  }
  // The instance has ended the operation (PEERDIST_ERROR_INVALIDATED); the slots go back to a
  // ring nobody will send from again.
  void on_connection_lost() noexcept override { lease_.reset(); }

 private:
  std::shared_ptr<AddOperation> operation_;
  RingLease lease_;
  std::uint64_t request_id_ = 0;
};

DWORD clamp_bytes(std::uint64_t bytes) noexcept {
  // The C API's byte counts are DWORDs; an operation never carries more than one call's bytes.
  return static_cast<DWORD>(std::min<std::uint64_t>(bytes, 0xffffffffU));
}

}  // namespace

AddOperation::AddOperation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
                           std::uint64_t connection_id, std::shared_ptr<const ipc::Blob> content_id,
                           Completer completer, PieceMessage piece_message,
                           std::span<const std::uint8_t> data, std::shared_ptr<void> storage,
                           std::shared_ptr<Ring> ring)
    : Operation(kind, std::move(instance), connection_id, std::move(content_id),
                std::move(completer)),
      piece_message_(std::move(piece_message)),
      data_(data),
      storage_(std::move(storage)),
      ring_(std::move(ring)) {}

AddOperation::AddOperation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
                           std::uint64_t connection_id, std::shared_ptr<const ipc::Blob> content_id,
                           Completer completer, FileMessage file_message, FileRange file)
    : Operation(kind, std::move(instance), connection_id, std::move(content_id),
                std::move(completer)),
      file_message_(std::move(file_message)),
      file_(std::move(file)) {}

void AddOperation::run(Connection& connection) noexcept {
  try {
    const std::size_t size = file_ ? file_->length : data_.size();
    // Zero copy when the caller's bytes already lie in this connection's ring.
    const std::optional<std::uint64_t> in_ring =
        ring_ != nullptr && size > 0 ? ring_->offset_of(data_.data(), size) : std::nullopt;
    std::size_t offset = 0;
    // At least one piece, so that a call with 0 bytes is answered by the daemon too.
    do {
      std::size_t piece = 0;
      ipc::DataRef data;
      RingLease slots;
      if (file_) {
        piece = std::min(size - offset, policy::kFilePieceSize);  // nothing to copy
      } else if (in_ring) {
        piece = std::min(size - offset, policy::kMaxSharedPiece);
        data = ipc::SharedData{.offset = *in_ring + offset,
                               .length = static_cast<std::uint32_t>(piece)};
      } else if (ring_ != nullptr && size > 0) {
        piece = std::min(size - offset, ring_->slot_size());
        auto acquired = ring_->acquire(piece, [this] { return should_stop(); });
        if (!acquired) return;  // stopped, ended, or the connection is gone
        {
          const std::lock_guard lock(mutex());
          // Never read the caller's buffer once the operation has ended: it is theirs again.
          if (finished_locked() || stop_status_) return;
          std::memcpy(acquired->data().data(), data_.data() + offset, piece);
        }
        data = ipc::SharedData{.offset = acquired->offset(),
                               .length = static_cast<std::uint32_t>(piece)};
        slots = std::move(*acquired);
      } else {
        piece = std::min(size - offset, policy::kInlinePieceSize);
        ipc::Blob bytes;
        {
          const std::lock_guard lock(mutex());
          if (finished_locked() || stop_status_) return;
          bytes.assign(data_.begin() + static_cast<std::ptrdiff_t>(offset),
                       data_.begin() + static_cast<std::ptrdiff_t>(offset + piece));
        }
        data = ipc::InlineData{.bytes = std::move(bytes)};
      }
      const bool final_piece = offset + piece == size;
      auto handler = std::make_shared<PieceHandler>(shared_from_this(), std::move(slots));
      const ipc::Message message =
          file_ ? file_message_(offset, final_piece, file_->offset + offset,
                                static_cast<std::uint32_t>(piece))
                : piece_message_(offset, final_piece, std::move(data));
      const std::uint64_t id = connection.send_request(
          message, handler,
          [&](std::uint64_t request_id) {
            handler->set_request_id(request_id);
            return admit(request_id, final_piece);
          },
          file_ ? file_->fd->get() : -1);
      if (id == 0) {
        if (!wait_unless_held()) return;
        continue;  // the same piece again once the hold is released
      }
      offset += piece;
    } while (offset < size);
  } catch (...) {
    // Out of memory for a frame or a handler: no further piece; the operation ends with this
    // error once the pieces already sent are answered.
    stop(ERROR_NOT_ENOUGH_MEMORY);
    std::unique_lock lock(mutex());
    sender_gave_up_ = true;
    if (answered_ == sent_) {
      finish_locked(lock,
                    OpResult{.status = ERROR_NOT_ENOUGH_MEMORY, .bytes = clamp_bytes(bytes_)});
    }
  }
}

bool AddOperation::admit(std::uint64_t request_id, bool final_piece) {
  const std::lock_guard lock(mutex());
  if (finished_locked() || stop_status_) return false;
  if (held_) {
    refused_by_hold_ = true;
    return false;
  }
  outstanding_.push_back(request_id);
  ++sent_;
  if (final_piece) all_sent_ = true;
  return true;
}

bool AddOperation::wait_unless_held() {
  std::unique_lock lock(mutex());
  if (!refused_by_hold_) return false;  // refused for good: ended, stopped or disconnected
  refused_by_hold_ = false;
  hold_changed_.wait(lock, [this] { return !held_ || finished_locked() || stop_status_; });
  return !finished_locked() && !stop_status_;
}

bool AddOperation::stop(DWORD status) noexcept {
  {
    const std::lock_guard lock(mutex());
    if (finished_locked()) return false;
    if (!stop_status_) stop_status_ = status;
    stopping_.store(true, std::memory_order_release);
  }
  hold_changed_.notify_all();
  if (ring_ != nullptr) ring_->wake_all();
  return true;
}

void AddOperation::hold() noexcept {
  const std::lock_guard lock(mutex());
  held_ = true;
}

void AddOperation::release_hold() noexcept {
  {
    const std::lock_guard lock(mutex());
    held_ = false;
  }
  hold_changed_.notify_all();
}

bool AddOperation::end_stopped() noexcept {
  std::unique_lock lock(mutex());
  if (finished_locked()) return false;
  const DWORD status = stop_status_.value_or(static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  return finish_locked(lock, OpResult{.status = status, .bytes = clamp_bytes(bytes_)});
}

std::vector<std::uint64_t> AddOperation::outstanding() const {
  const std::lock_guard lock(mutex());
  return outstanding_;
}

std::uint64_t AddOperation::bytes_done() const {
  const std::lock_guard lock(mutex());
  return bytes_;
}

void AddOperation::piece_answered(std::uint64_t request_id, const ipc::Result& result) noexcept {
  std::unique_lock lock(mutex());
  std::erase(outstanding_, request_id);
  ++answered_;
  if (finished_locked()) return;
  if (result.status != ERROR_SUCCESS) {
    // First failure wins; once stopped, the reason for stopping is what the caller sees.
    finish_locked(lock, OpResult{.status = stop_status_.value_or(result.status),
                                 .bytes = clamp_bytes(bytes_)});
    return;
  }
  bytes_ += result.bytes;
  if (answered_ != sent_) return;
  if (all_sent_) {
    finish_locked(lock, OpResult{.status = ERROR_SUCCESS, .bytes = clamp_bytes(bytes_)});
  } else if (sender_gave_up_) {
    finish_locked(lock, OpResult{.status = stop_status_.value_or(ERROR_NOT_ENOUGH_MEMORY),
                                 .bytes = clamp_bytes(bytes_)});
  }
}

void AddOperation::on_finished() noexcept {
  stopping_.store(true, std::memory_order_release);
  hold_changed_.notify_all();
  if (ring_ != nullptr) ring_->wake_all();
}

}  // namespace peerdist::api
