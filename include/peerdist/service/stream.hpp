// A publication in progress: what PeerDistServerPublishStream opens and AddToStream /
// CompleteStream feed. Two halves with two owners:
//
// * StreamBuilders: the content-information builders, one per version produced. add() may
//   block (the builder applies back-pressure when its hashing workers are busy) and finish()
//   hashes the tail, so both run on a worker thread, never the network thread; and they run
//   one job at a time per stream, because a builder is fed by one thread in content order.
// * Stream: the stream's state on the network thread: its pending operations in arrival
//   order, the bytes fed, and what the handle still accepts. Its queue is what serialises the
//   worker jobs: only the operation at the head has a job on a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/service/pending_operation.hpp"
#include "peerdist/service/publication_key.hpp"
#include "peerdist/service/reservations.hpp"

namespace peerdist::service {

struct EncodedCi {
  pccrc::Version version = pccrc::Version::v1;
  std::vector<std::uint8_t> bytes;
};

class StreamBuilders {
 public:
  // threads: per builder, as pccrc::BuildOptions::threads (0 = one per hardware thread).
  StreamBuilders(std::shared_ptr<const pccrc::ServerSecret> secret,
                 std::vector<pccrc::Version> versions, unsigned threads);

  // Worker thread. The builders are made at the first bytes, so that a stream that never gets
  // data costs no threads. Throws what the builder throws (std::bad_alloc).
  void add(std::span<const std::uint8_t> data);
  // Worker thread: the same, from memory the builders borrow and hash in place (a piece of a
  // client's shared buffer): `release` is called once, on a worker thread inside a later call
  // on these builders (or this one, or the destructor), when no builder reads `data` any more.
  // It must not throw. Throws what the builders throw; `release` is still called, at the
  // latest by the destructor.
  void add_borrowed(std::span<const std::uint8_t> data, std::function<void()> release);
  // Worker thread: waits until the oldest borrowed piece is released (see
  // ContentInformationBuilder::release_oldest); whether pieces are still borrowed.
  bool release_oldest();
  // Worker thread: the encoded whole-content CI of each version. Throws std::bad_alloc, or
  // std::system_error for empty content (the caller checks for it first).
  [[nodiscard]] std::vector<EncodedCi> finish();

 private:
  std::shared_ptr<const pccrc::ServerSecret> secret_;
  std::vector<pccrc::Version> versions_;
  unsigned threads_;
  std::vector<std::unique_ptr<pccrc::ContentInformationBuilder>> builders_;

  void make_builders();
};

// What the builders borrow of one piece hashed in place (a shared-buffer piece, or the windows
// of a file piece): released once every part is given back, on a worker thread; read by the
// network thread. The job feeding the piece holds one part itself until it has lent them all.
class PieceLoan {
 public:
  void lend() noexcept { parts_.fetch_add(1, std::memory_order_relaxed); }
  // A part is no longer read; `status` non-zero if what was read of it was not the client's
  // bytes (a file that shrank): the piece then fails. The first failure is kept.
  void give_back(std::uint32_t status = 0) noexcept {
    if (status != 0) {
      std::uint32_t none = 0;
      status_.compare_exchange_strong(none, status, std::memory_order_relaxed);
    }
    parts_.fetch_sub(1, std::memory_order_acq_rel);
  }
  [[nodiscard]] bool released() const noexcept {
    return parts_.load(std::memory_order_acquire) == 0;
  }
  // Meaningful once released().
  [[nodiscard]] std::uint32_t status() const noexcept {
    return status_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::size_t> parts_{1};
  std::atomic<std::uint32_t> status_{0};
};

struct Stream {
  enum class State : std::uint8_t {
    open,         // accepts AddToStream and CompleteStream
    completing,   // CompleteStream is at the head of the queue, its job running
    completed,    // published: only Close
    abandoned,    // cancelled, closed, unpublished or failed: nothing published; only Close
    invalidated,  // the service went DISABLED or UNAVAILABLE: PEERDIST_ERROR_INVALIDATED
  };

  std::uint64_t id = 0;
  PublicationKey key;
  std::uint64_t content_length = 0;  // 0 = not known
  bool persistent = false;
  std::vector<pccrc::Version> versions;
  State state = State::open;

  std::uint64_t bytes_fed = 0;  // consumed by the builders
  // Pieces done with (consumed, or refused), in request order, whose Results wait until every
  // earlier one is sent and, for a piece hashed in place, until the builders no longer read it
  // (the client may rewrite its shared buffer once it has the Result, docs/ipc.md).
  // The loan is given back on worker threads; the network thread sends the Results in order.
  struct FedPiece {
    std::shared_ptr<PendingOperation> op;
    std::uint32_t bytes = 0;
    std::uint32_t status = 0;  // non-zero: the piece was refused whole (nothing appended)
    std::shared_ptr<const PieceLoan> loan;
  };
  std::deque<FedPiece> fed;
  // Whether a piece in `fed` still waits for the builders.
  [[nodiscard]] bool lending() const noexcept {
    for (const auto& piece : fed) {
      if (!piece.loan->released()) return true;
    }
    return false;
  }
  // Pending operations in arrival order: pieces, then at most one CompleteStream. The head's
  // job, if `busy`, is on a worker.
  std::deque<std::shared_ptr<PendingOperation>> queue;
  // A job of this stream is on a worker: the head's, or (queue empty) one that waits for the
  // builders to release the oldest borrowed piece.
  bool busy = false;
  bool complete_queued = false;
  // Application calls, cut into pieces by the library (docs/ipc.md, AddToStream): the last
  // received piece did not end its call.
  bool in_call = false;
  // The call being received was refused as a whole (a second call while one was in flight):
  // its remaining pieces are refused on arrival.
  bool refusing_call = false;
  // The status a piece of the current call failed with; the call's later pieces fail the same
  // way, so no bytes are appended after a gap.
  std::uint32_t call_status = 0;

  std::shared_ptr<StreamBuilders> builders;
  bool parallel_builders = false;  // counts against PublicationService's parallel streams
  std::optional<Reservation> reservation;

  [[nodiscard]] bool accepts_data() const noexcept {
    return state == State::open && !complete_queued;
  }
  [[nodiscard]] bool has_pending_pieces() const noexcept {
    if (!fed.empty()) return true;  // consumed, Results not sent yet
    for (const auto& op : queue) {
      if (op->kind() == OperationKind::add_piece) return true;
    }
    return false;
  }
};

}  // namespace peerdist::service
