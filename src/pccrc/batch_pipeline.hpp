// A bounded ring of content batches hashed in parallel and collected in order: what lets the
// content-information builder use every core on a stream of any length with fixed memory.
//
// The owner (one thread) acquires a free batch, fills its buffer (or points it at memory it
// lends), says which pieces of it to hash, and submits it. A worker runs `work` on the batch;
// the owner later runs `collect` on finished batches strictly in submission order (so results
// never depend on scheduling), and only then recycles the batch. When every batch is in flight,
// acquire() waits for the oldest.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/util/worker_pool.hpp"

namespace peerdist::pccrc::detail {

struct Batch {
  std::unique_ptr<std::uint8_t[]> storage;  // the batch's own buffer, `capacity` bytes
  std::size_t capacity = 0;
  // The content bytes: `storage`, or memory the owner lends for as long as the batch is in
  // flight (then size may exceed capacity).
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;                // content bytes at data[0, size)
  std::uint64_t offset = 0;            // content offset of data[0]
  std::vector<std::uint32_t> pieces;   // lengths of the pieces to hash, from data[0]
  std::vector<crypto::Digest> hashes;  // work output, one per piece
  std::vector<crypto::Digest> keys;    // work output, one per piece (V2 Kp)
  // The owner's note of which loan of its memory `data` points into (0: none). The pipeline
  // only clears it in acquire(); the owner reads it back in `collect`.
  std::uint64_t loan = 0;

  // Room left in `storage` (only for a batch that uses it).
  [[nodiscard]] std::span<std::uint8_t> free_space() noexcept {
    return {storage.get() + size, capacity - size};
  }
  [[nodiscard]] std::span<const std::uint8_t> bytes(std::size_t from,
                                                    std::size_t n) const noexcept {
    return {data + from, n};
  }
};

class BatchPipeline {
 public:
  using Work = std::function<void(Batch&)>;     // on a worker; may throw
  using Collect = std::function<void(Batch&)>;  // on the owner's thread, in submission order

  // `threads` <= 1 runs work on the owner's thread at submit(). Needs batch_count >= 2 so that
  // the owner can fill one batch while another is in flight.
  BatchPipeline(unsigned threads, std::size_t batch_count, std::size_t batch_capacity, Work work,
                Collect collect);
  ~BatchPipeline();  // waits for work in flight; its results are dropped
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // What a batch reads its content from: its own buffer, or memory the owner lends (then the
  // buffer is not allocated for it).
  enum class Storage : std::uint8_t { own, borrowed };

  // An empty batch (size 0, no pieces, loan 0) whose data is its own buffer, or null when
  // borrowed. Prefers an idle batch that already has a buffer for `own`, and one without for
  // `borrowed`, so that buffers are only allocated (and their pages touched) when needed.
  // May collect finished batches, and rethrows what their work threw.
  Batch& acquire(Storage storage = Storage::own);
  // Hands a batch obtained from acquire() to the workers.
  void submit(Batch& batch);
  // Whether any submitted batch is not collected yet.
  [[nodiscard]] bool busy() const noexcept { return !in_flight_.empty(); }
  // Waits for and collects the oldest submitted batch (needs busy()).
  void collect_oldest();
  // Collects the submitted batches that are finished, oldest first, without waiting: stops at
  // the first one still being hashed.
  void collect_finished();
  // Waits for and collects every submitted batch.
  void drain();
  // Waits until no worker uses a batch any more, without collecting anything: after it, memory
  // lent to batches in flight may be given back even though their results are dropped.
  void wait_idle() noexcept;
  // Frees the buffers of idle batches (after drain(), all of them).
  void release_memory() noexcept;

  [[nodiscard]] std::size_t batch_capacity() const noexcept { return capacity_; }

 private:
  struct Slot : Batch {
    bool done = false;         // guarded by mutex_
    std::exception_ptr error;  // what work threw, if anything
  };
  void run(Slot& slot) noexcept;

  std::size_t capacity_;
  Work work_;
  Collect collect_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  std::deque<Slot*> in_flight_;  // submission order
  std::mutex mutex_;
  std::condition_variable finished_;
  // Declared last so that it is destroyed first: its destructor runs the queued tasks, which
  // touch the slots and the mutex above.
  std::optional<util::WorkerPool> pool_;
};

}  // namespace peerdist::pccrc::detail
