// One asynchronous request in flight (AddToStream piece, CompleteStream, status notification)
// and the rule that it ends exactly once (spec §4.5): whoever ends it first, completion, cancel,
// close, unpublish, invalidation or shutdown, sends its Result; everyone else finds it ended.
//
// Most of an operation's life is on the network thread, but a CompleteStream's last step, the
// catalog insert, runs on the catalog thread and cannot be undone by a cancel that arrives
// while it runs. So before inserting, the catalog thread *claims* the operation; a cancel that
// finds it claimed cannot abort it and waits for its Result instead (then answers
// PEERDIST_ERROR_OPERATION_NOTFOUND, since the operation completed). The state is atomic for
// that one cross-thread step; everything else here is touched on the network thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/service/reply.hpp"

namespace peerdist::service {

struct FilePiece;  // file_window.hpp

// client_request: an asynchronous request of the client side (ClientContent's, or a
// FlushContent); its stream() is the content handle (0 for FlushContent).
enum class OperationKind : std::uint8_t {
  add_piece,
  complete_stream,
  status_notification,
  client_request
};

class PendingOperation {
 public:
  PendingOperation(std::uint64_t request_id, OperationKind kind, std::uint64_t stream,
                   ReplyHandler reply)
      : request_id_(request_id), kind_(kind), stream_(stream), reply_(std::move(reply)) {}

  [[nodiscard]] std::uint64_t request_id() const noexcept { return request_id_; }
  [[nodiscard]] OperationKind kind() const noexcept { return kind_; }
  [[nodiscard]] std::uint64_t stream() const noexcept { return stream_; }

  // Any thread: takes the right to complete the operation for good; false once it has ended.
  [[nodiscard]] bool claim() noexcept {
    State expected = State::pending;
    return state_.compare_exchange_strong(expected, State::claimed, std::memory_order_acq_rel);
  }
  [[nodiscard]] bool claimed() const noexcept {
    return state_.load(std::memory_order_acquire) == State::claimed;
  }
  [[nodiscard]] bool ended() const noexcept {
    return state_.load(std::memory_order_acquire) == State::ended;
  }

  // Network thread: ends a pending (unclaimed) operation with `reply`; false if it is claimed
  // or already ended, and then nothing is sent.
  bool abort(Reply reply) {
    State expected = State::pending;
    if (!state_.compare_exchange_strong(expected, State::ended, std::memory_order_acq_rel)) {
      return false;
    }
    deliver(std::move(reply));
    return true;
  }
  // Network thread: ends the operation, claimed or not; false if it had already ended.
  bool complete(Reply reply) {
    if (state_.exchange(State::ended, std::memory_order_acq_rel) == State::ended) return false;
    deliver(std::move(reply));
    return true;
  }
  // Network thread: runs `action` once this operation's Result has been sent (at once if it
  // has been). How a request that cannot abort a claimed operation waits for it.
  void after_end(std::function<void()> action) {
    if (ended()) {
      action();
    } else {
      after_.push_back(std::move(action));
    }
  }

  // For AddToStream pieces (network thread only).
  bool first_of_call = true;  // the piece starts a PeerDistServerPublishAddToStream call
  bool last_piece = true;
  ipc::DataRef data;          // moved out when the piece is fed
  // An AddFileToStream piece: the client's file and the range (`data` is then empty).
  std::shared_ptr<FilePiece> file;

  // For status notifications.
  std::uint32_t baseline_status = 0;

 private:
  enum class State : std::uint8_t { pending, claimed, ended };

  void deliver(Reply reply) {
    ReplyHandler handler = std::move(reply_);
    reply_ = nullptr;
    if (handler) handler(std::move(reply));
    auto after = std::move(after_);
    after_.clear();
    for (auto& action : after) action();
  }

  std::uint64_t request_id_;
  OperationKind kind_;
  std::uint64_t stream_;
  ReplyHandler reply_;
  std::vector<std::function<void()>> after_;
  std::atomic<State> state_{State::pending};
};

}  // namespace peerdist::service
