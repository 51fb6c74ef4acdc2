// One call that sends the caller's bytes to the daemon in pieces, by the connection's sender
// thread: PeerDistServerPublishAddToStream (or C++ PublicationStream::add) as AddToStream
// pieces, PeerDistClientAddContentInformation and PeerDistClientAddData as AddContentInformation
// and AddData pieces (docs/ipc.md). The operation only moves bytes; which request carries a
// piece is its maker's (PieceMessage).
//
//  * Copy path: each piece is copied into a free ring slot and sent as SharedData; the slot is
//    free again when the piece's Result arrives, so the sender copies piece n+1 while the
//    daemon hashes piece n. The caller's buffer is read only until the last piece is copied.
//  * Zero copy: bytes that already lie inside the ring (a buffer from the C++ API) are sent
//    as SharedData where they are.
//  * No ring: InlineData pieces.
//  * A file (C++ publish_file): AddFileToStream pieces naming ranges of the file, whose
//    descriptor goes with each frame; the daemon maps the file and hashes it in place, so the
//    library copies nothing and the file's bytes never cross the socket.
// The operation completes when the last piece's Result arrives, or at the first piece that
// fails (first failure wins), with the sum of the bytes of the pieces that succeeded.
//
// Stopping (cancel, close, unpublish, shutdown): stop() admits no further piece. Pieces
// already admitted are on the wire before any request the stopper sends afterwards (the admit
// step runs under the connection's send lock), so once the stopper's own request is answered,
// every admitted piece has its Result too (docs/ipc.md rules 3 and 4); the stopper then ends
// the operation if no piece's failure has.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/connection.hpp"
#include "core/operation.hpp"
#include "core/ring.hpp"

namespace peerdist::api {

class AddOperation final : public Operation,
                           public SendJob,
                           public std::enable_shared_from_this<AddOperation> {
 public:
  // The request that carries one piece: `at` is where the piece starts within the call's data,
  // `last` whether it is the call's last piece, `data` the piece (inline or in the ring).
  using PieceMessage = std::function<ipc::Message(std::uint64_t at, bool last, ipc::DataRef data)>;
  // A range of a file instead of bytes (AddFileToStream). The descriptor is shared with the
  // operation's other pieces and closed when the last holder goes.
  struct FileRange {
    std::shared_ptr<const ipc::UniqueFd> fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  // The request for one file piece: `at` as for PieceMessage; the piece is `length` bytes of
  // the file at `file_offset`.
  using FileMessage = std::function<ipc::Message(std::uint64_t at, bool last,
                                                 std::uint64_t file_offset, std::uint32_t length)>;

  // `data` must stay valid until the operation completes (the API's contract for pBuffer).
  // `storage`, if set, owns the memory `data` lies in (a C++ buffer, possibly in the ring):
  // held until the last piece is answered, since the daemon reads shared bytes in place.
  AddOperation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
               std::uint64_t connection_id, std::shared_ptr<const ipc::Blob> content_id,
               Completer completer, PieceMessage piece_message, std::span<const std::uint8_t> data,
               std::shared_ptr<void> storage, std::shared_ptr<Ring> ring);

  // A file's range, sent as file pieces (nothing is copied).
  AddOperation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
               std::uint64_t connection_id, std::shared_ptr<const ipc::Blob> content_id,
               Completer completer, FileMessage file_message, FileRange file);

  // Sender thread: copies and sends the pieces.
  void run(Connection& connection) noexcept override;

  // No further piece is admitted; any piece that fails from now on reports `status` (the
  // reason for stopping) rather than its own error. False if the operation had already ended.
  bool stop(DWORD status) noexcept;
  // Pauses admitting pieces until release_hold() or stop() (Unpublish holds an operation on the
  // content while its request is in flight, then stops or releases it).
  void hold() noexcept;
  void release_hold() noexcept;
  // Ends the operation with the stop status, if nothing else has; for the stopper once every
  // admitted piece has been answered.
  bool end_stopped() noexcept;

  // Request ids of the pieces sent and not yet answered (for ipc::Cancel).
  [[nodiscard]] std::vector<std::uint64_t> outstanding() const;
  [[nodiscard]] std::uint64_t bytes_done() const;

  // Piece results (from the piece's ResultHandler on the receiver thread).
  void piece_answered(std::uint64_t request_id, const ipc::Result& result) noexcept;

 private:
  void on_finished() noexcept override;
  [[nodiscard]] bool should_stop() const noexcept {
    return stopping_.load(std::memory_order_acquire);
  }
  bool admit(std::uint64_t request_id, bool final_piece);
  // Blocks while held; false when the operation must not go on.
  bool wait_unless_held();

  const PieceMessage piece_message_;
  const FileMessage file_message_;
  const std::optional<FileRange> file_;
  const std::span<const std::uint8_t> data_;
  const std::shared_ptr<void> storage_;
  const std::shared_ptr<Ring> ring_;

  // Guarded by mutex() (Operation's).
  std::condition_variable hold_changed_;
  std::vector<std::uint64_t> outstanding_;
  std::size_t sent_ = 0;
  std::size_t answered_ = 0;
  bool all_sent_ = false;
  bool held_ = false;
  bool refused_by_hold_ = false;
  bool sender_gave_up_ = false;  // the sender failed (out of memory) and sends nothing more
  std::optional<DWORD> stop_status_;
  std::uint64_t bytes_ = 0;

  // Set with stop_status_ or when finished: read without the lock by the ring wait.
  std::atomic<bool> stopping_{false};
};

}  // namespace peerdist::api
