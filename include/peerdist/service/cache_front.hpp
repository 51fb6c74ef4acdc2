// The network thread's side of the data cache: where verified blocks (from peers, from AddData)
// go, and where reads look for blocks not yet on disk.
//
// * Group commit: a block put here is stored by the cache thread in a batch. One commit is in
//   flight at a time; what arrives meanwhile waits for it and goes in the next one (so an idle
//   cache commits at the next turn of the network thread, a busy one in batches, one fdatasync
//   each), unless the batch reaches kMaxBatchBytes, which is then sent at once to bound memory.
//   A batch nobody waits for (blocks from peers: no `committed`) lingers up to kPeerCommitDelay
//   for more, so that a peer's stream of blocks costs one transaction per many blocks instead of
//   one each (a commit rewrites the segment's row, with its descriptor, and wakes two threads);
//   reads and peers find those blocks in pending() meanwhile, and a crash before the commit
//   loses them as it would have lost a batch in flight (nothing is marked present unwritten).
// * Until its commit has completed, a block stays in pending(): reads give the cache thread a
//   snapshot of it, so that a block is never missed between "put" and "on disk".
// * Listeners: reads waiting for a block hear of it the moment it is put, from memory, without
//   waiting for the disk.
//
// A batch's blocks are stored only if their segment is described. A FlushContent, a CacheClear
// or an eviction may have removed the description since the handle described it, so a batch
// refused for that is stored again after describing its segments anew (with their tags).
//
// Network thread only, except the jobs it gives the cache thread. Made by make_shared: the
// cache thread's answers find it through a weak pointer.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/service/block_key.hpp"
#include "peerdist/service/cache_executor.hpp"
#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

using PendingBlocks = std::map<BlockKey, std::shared_ptr<const pccrc::VerifiedBlock>, BlockKeyLess>;

class CacheFront : public std::enable_shared_from_this<CacheFront> {
 public:
  // ERROR_SUCCESS once the block is durably stored, else the Win32 code of the failure.
  using Committed = std::function<void(std::uint32_t status)>;
  using Listener = std::function<void(const std::shared_ptr<const pccrc::VerifiedBlock>& block)>;

  // A batch sent while another commit is in flight once it holds this much: bounds the memory
  // of blocks waiting for the disk (a commit of 16 MiB takes a fraction of a second) while
  // still making one fdatasync serve hundreds of V1 blocks.
  static constexpr std::size_t kMaxBatchBytes = std::size_t{16} << 20U;
  // How long a batch of blocks nobody waits for collects more before its commit: at the ~2,000
  // V1 blocks a second of one peer's stream that is ~40 blocks a transaction instead of one,
  // and a reader never waits for it (pending() serves them). Short enough that little sits in
  // memory (at most kMaxBatchBytes anyway) and that a shutdown's last batch is small.
  static constexpr std::chrono::milliseconds kPeerCommitDelay{20};

  CacheFront(boost::asio::any_io_executor executor, CacheExecutor& thread);

  [[nodiscard]] const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

  // Stores a verified block of `segment` (labelled with `tag` if the segment must be described
  // again); waiting listeners hear of it now. `committed` (may be empty) is called on the
  // network thread after the commit. Returns the block as shared with pending().
  std::shared_ptr<const pccrc::VerifiedBlock> put(
      pccrc::VerifiedBlock block, std::shared_ptr<const pccrc::SegmentDescriptor> segment,
      std::optional<store::ContentTag> tag, Committed committed);

  // Blocks put and not yet committed (an immutable snapshot, cheap to take).
  [[nodiscard]] std::shared_ptr<const PendingBlocks> pending() const noexcept { return pending_; }
  [[nodiscard]] std::shared_ptr<const pccrc::VerifiedBlock> find(const BlockKey& key) const;

  // Runs `job` on the cache thread after every block put so far has been committed (FlushContent,
  // CacheClear: what was verified before them goes too). Starts a new generation().
  void post_after_puts(CacheExecutor::Job job);
  // Changes with every post_after_puts(): blocks a handle keeps in memory from an earlier
  // generation may have been flushed or cleared from the cache since, and are not served.
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
  // Runs `job` on the cache thread with no ordering against puts (reads, which look at
  // pending() themselves).
  void post(CacheExecutor::Job job) { thread_.post(std::move(job)); }

  // Calls `listener` for each block of that segment put from now on, until unlisten(token).
  [[nodiscard]] std::uint64_t listen(const crypto::Digest& segment_id, Listener listener);
  void unlisten(std::uint64_t token);

  // Sends the batch now, whatever its delay (shutdown: before the cache thread is joined).
  void commit_now() { send_batch(); }

  [[nodiscard]] std::size_t batch_bytes() const noexcept { return batch_bytes_; }
  [[nodiscard]] std::uint64_t commits() const noexcept { return commits_; }

 private:
  struct Entry {
    std::shared_ptr<const pccrc::VerifiedBlock> block;
    std::shared_ptr<const pccrc::SegmentDescriptor> segment;
    std::optional<store::ContentTag> tag;
    Committed committed;
  };

  void send_batch();
  // Sends the batch at the next turn of the network thread if someone waits for it, else
  // after kPeerCommitDelay; nothing while a commit is in flight (its answer calls this again).
  void schedule_send();
  void on_committed(std::vector<Entry> entries, std::uint32_t status);
  // pending_ to change: itself when no snapshot of it is held any more, else a copy (the
  // snapshots a job holds never change under it; copying on every put made each put cost a
  // copy of the whole map).
  PendingBlocks& writable_pending();

  boost::asio::any_io_executor executor_;
  CacheExecutor& thread_;
  std::shared_ptr<PendingBlocks> pending_ = std::make_shared<PendingBlocks>();
  std::vector<Entry> batch_;
  std::size_t batch_bytes_ = 0;
  std::size_t in_flight_ = 0;     // commits posted and not yet answered
  bool send_posted_ = false;      // a send of the batch is posted to the network thread
  std::size_t batch_waited_ = 0;  // entries of batch_ with a `committed` handler
  boost::asio::steady_timer linger_;
  bool lingering_ = false;  // linger_ is armed
  std::uint64_t commits_ = 0;
  std::uint64_t generation_ = 0;

  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, std::pair<crypto::Digest, Listener>> listeners_;
  std::multimap<crypto::Digest, std::uint64_t, DigestLess> by_segment_;
};

}  // namespace peerdist::service
