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

#include <cstdint>
#include <deque>
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
  // Worker thread: the encoded whole-content CI of each version. Throws std::bad_alloc, or
  // std::system_error for empty content (the caller checks for it first).
  [[nodiscard]] std::vector<EncodedCi> finish();

 private:
  std::shared_ptr<const pccrc::ServerSecret> secret_;
  std::vector<pccrc::Version> versions_;
  unsigned threads_;
  std::vector<std::unique_ptr<pccrc::ContentInformationBuilder>> builders_;
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
  // Pending operations in arrival order: pieces, then at most one CompleteStream. The head's
  // job, if `busy`, is on a worker.
  std::deque<std::shared_ptr<PendingOperation>> queue;
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
    for (const auto& op : queue) {
      if (op->kind() == OperationKind::add_piece) return true;
    }
    return false;
  }
};

}  // namespace peerdist::service
