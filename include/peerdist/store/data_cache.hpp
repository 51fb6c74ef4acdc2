// The data cache of distributed mode: verified blocks of segments, kept under the state
// directory, which this machine's applications read and which peers retrieve (MS-PCCRR) and
// discover (MS-PCCRD). Per segment, not per content: segments are what the protocols name.
//
// Layout (docs/data-cache.md): <dir>/cache.sqlite (SQLite, WAL) describes the segments, which
// blocks of each are present, their content tags and times; <dir>/segments/<xx>/<segment id
// hex>.seg holds the block bytes at block_index * block_size.
//
// Durability and trust (docs/data-cache.md, "Why a block marked present has its bytes"):
// * Only pccrc::VerifiedBlock goes in, so nothing unverified is stored.
// * put_blocks() writes the bytes (pwrite) and only then commits the transaction that marks the
//   blocks present: after a kill -9 at any moment a block marked present has its verified bytes
//   (a process crash does not lose the page cache); a block written but not yet marked is simply
//   absent (its bytes are overwritten when it comes again).
// * Against an OS crash or a power cut, SyncPolicy says when the bytes reach the disk:
//   every_batch fdatasync()s every file a batch touched before its commit; checkpoint (the
//   default) commits without syncing, marks the segments "unsynced", and checkpoint() (the
//   owner calls it periodically; close does too) syncs them and marks them synced. open()
//   compares the kernel's boot ID with the one recorded at the last open: after a reboot that
//   followed no clean close, the blocks of segments still unsynced are dropped (open_report()),
//   since their bytes may never have reached the disk. Either way no block is served whose
//   bytes may not be on disk; checkpoint mode may lose the blocks of the last interval.
// * open() reconciles: segment files without a row are deleted, rows whose file is missing or
//   too short lose the present blocks the file does not hold, and rows that do not decode (the
//   file was edited) are deleted with their files.
// * cache.sqlite is checked and migrated like the catalog; a corrupt one fails open() with
//   StoreErrc::corrupt, or with DataCacheOptions::recover_corrupt is moved aside and the cache
//   starts empty (its segment files, then without rows, are deleted by the reconcile).
//
// Limits: size (bytes of present blocks) and age (since the segment first entered the cache);
// evict() removes least-recently-used segments (by last read or write) until under the size
// limit, and every segment older than the age limit. put_blocks() evicts on its own when a
// write takes the cache over its limit. read_block() records its use in memory and writes the
// times with the next write (or at the latest a minute later, or when the DataCache closes):
// a crash may lose a minute of LRU order, never data. In checkpoint mode the commits of
// eviction and flush are relaxed too; a deleted segment's file is created again only once its
// deletion is durable, so that an OS crash that undoes a deletion never brings a row back over
// another file.
//
// Tags (FlushContent): a segment may be labelled by several contents' tags. flush(tag) removes
// the label `tag` everywhere and the segments it leaves with no label at all; a segment that
// another tag still labels stays (another application's content still uses it). Segments
// described without a tag (learnt from peers, say) carry no label and no flush removes them;
// a segment labelled by a tag goes with that tag's flush even when it was also described
// without one.
//
// Thread safety: like Catalog, one SQLite connection, used from one thread at a time
// (peerdistd gives it a thread of its own); movable. One DataCache per directory: open() takes
// an exclusive lock on the directory (flock), and a second open() of the same directory, in
// this process or another, fails with StoreErrc::busy until the first is destroyed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/store/errc.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::store {

// PEERDIST_CONTENT_TAG: 16 bytes an application labels its cached data with
// (PeerDistClientOpenContent) and later flushes by (PeerDistClientFlushContent).
using ContentTag = std::array<std::uint8_t, 16>;

struct CacheLimits {
  // Bytes of present blocks. 0 = 5% of the file system holding the cache, like Windows.
  std::uint64_t max_bytes = 0;
  // Segments older than this (since they first entered the cache) are evicted. 0 (or less) =
  // no age limit.
  std::chrono::seconds max_age = std::chrono::hours(24 * 28);
  friend bool operator==(const CacheLimits&, const CacheLimits&) = default;
};

// When put_blocks() makes the bytes it writes durable (see the top of this file).
enum class SyncPolicy {
  // fdatasync of every file a batch touched, then a FULL-sync commit: a put_blocks() that
  // returned survives a power cut; the disk's flush latency paces every batch.
  every_batch,
  // pwrite and a relaxed (synchronous = NORMAL) commit marking the segments unsynced;
  // checkpoint() makes them durable. Survives kill -9 at any moment; an OS crash or power cut
  // loses the blocks of segments written since the last checkpoint (never serves them).
  checkpoint,
};

struct DataCacheOptions {
  // A cache.sqlite that is not a healthy SQLite database is renamed to
  // "cache.sqlite.corrupt-<UTC time>" (its -wal beside it) and an empty cache starts in its
  // place. Without it, open() fails with StoreErrc::corrupt and leaves the file alone.
  bool recover_corrupt = false;
  // How long a call waits for a lock on cache.sqlite held by another connection.
  std::chrono::milliseconds busy_timeout{5000};
  // The time every first_cached and last_used is taken from, and ages are measured against:
  // the system clock when empty. Tests inject theirs.
  std::function<std::chrono::sys_seconds()> clock;
  SyncPolicy sync_policy = SyncPolicy::checkpoint;
  // Where the kernel's boot ID is read (a new random UUID every boot): how open() tells a
  // process crash, after which the page cache still holds every write, from an OS crash or
  // power cut, after which unsynced writes may be lost. Tests point it at a file of theirs. A
  // file that cannot be read counts as a reboot (the safe side: unsynced blocks are dropped).
  std::filesystem::path boot_id_file = "/proc/sys/kernel/random/boot_id";
};

// What open() found of the previous run.
struct DataCacheOpenReport {
  // The previous DataCache on this directory was destroyed normally (checkpointed), or there
  // was none. False after a crash or kill of its process, or an OS crash or power cut.
  bool previous_shutdown_clean = true;
  // The boot ID differs from the one recorded at the last open (or one of them is unknown).
  bool rebooted = false;
  // Rebooted after an unclean shutdown: segments written since their last checkpoint whose
  // blocks were dropped (they stay described), and how many blocks and bytes that was.
  std::uint64_t dropped_segments = 0;
  std::uint64_t dropped_blocks = 0;
  std::uint64_t dropped_bytes = 0;
  friend bool operator==(const DataCacheOpenReport&, const DataCacheOpenReport&) = default;
};

// What the cache holds of one segment.
struct SegmentState {
  pccrc::SegmentDescriptor descriptor;
  std::vector<bool> present;  // per block, descriptor.block_count() entries
  std::uint32_t present_count = 0;
  // When the segment was described, or when its first block came after it had none (so that
  // a segment described long before its blocks arrive is not aged out as soon as they do):
  // for the segment ages of MS-PCCRR/PCCRD v2 and for the age limit.
  std::chrono::sys_seconds first_cached{};
  std::chrono::sys_seconds last_used{};
  // Blocks were written since the last checkpoint (SyncPolicy::checkpoint): an OS crash or
  // power cut before the next one drops the segment's blocks.
  bool unsynced = false;

  [[nodiscard]] bool complete() const noexcept { return present_count == descriptor.block_count(); }
};

// Which blocks the cache holds of one segment, without its descriptor: what reads and peers ask
// per block (SegmentState decodes the descriptor, ~17 KB for a V1 segment, for each call). A
// bitmap rather than SegmentState's vector<bool>: scans for the next present block go a byte
// at a time.
struct SegmentPresence {
  std::uint32_t blocks = 0;          // the segment's block count
  std::vector<std::uint8_t> bitmap;  // bit i (byte i / 8, least significant first) = block i
  std::uint32_t present_count = 0;
  std::chrono::sys_seconds first_cached{};  // as SegmentState::first_cached

  [[nodiscard]] bool test(std::uint32_t index) const noexcept {
    return index < blocks && (bitmap[index / 8U] & (1U << (index % 8U))) != 0;
  }
  // Marks a block present (counted once); indexes past the last block are ignored.
  void set(std::uint32_t index) noexcept;
  // The first present block in [from, end), if any.
  [[nodiscard]] std::optional<std::uint32_t> next_present(std::uint32_t from,
                                                          std::uint32_t end) const noexcept;
  [[nodiscard]] std::vector<bool> to_bools() const;
};

struct CacheUsage {
  std::uint64_t bytes = 0;      // of present blocks
  std::uint64_t max_bytes = 0;  // the effective limit
  std::uint64_t segments = 0;   // described segments
  std::uint64_t complete_segments = 0;
  std::uint64_t blocks = 0;  // present blocks
  std::chrono::seconds max_age{};
  std::optional<std::chrono::sys_seconds> oldest;  // first_cached of the oldest segment
  std::uint64_t unsynced_segments = 0;             // written since the last checkpoint
  friend bool operator==(const CacheUsage&, const CacheUsage&) = default;
};

class DataCache {
 public:
  static constexpr const char* kDatabaseFileName = "cache.sqlite";
  static constexpr const char* kSegmentsDirName = "segments";
  // The schema version this code writes (PRAGMA user_version); open() migrates older files.
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the cache in `dir` (created 0700, as are its subdirectories; files 0600),
  // checks and migrates its database, drops the unsynced blocks after a reboot that followed
  // an unclean shutdown (open_report()), reconciles files and rows, and evicts what is past the
  // limits. Errors: cannot_open, busy (another DataCache has the directory), corrupt (unless
  // recover_corrupt), not_a_catalog (cache.sqlite belongs to another application),
  // newer_schema, io_error.
  [[nodiscard]] static Expected<DataCache, StoreError> open(const std::filesystem::path& dir,
                                                            CacheLimits limits = {},
                                                            const DataCacheOptions& options = {});

  // Checkpoints and records a clean shutdown (best effort: a failure leaves the shutdown
  // unclean, which costs the unsynced blocks only if the OS crashes before the next open).
  ~DataCache();
  DataCache(DataCache&& other) noexcept;
  DataCache& operator=(DataCache&& other) noexcept;
  DataCache(const DataCache&) = delete;
  DataCache& operator=(const DataCache&) = delete;

  // Records a segment (idempotent), merging block hashes with a stored descriptor of the same
  // ID, and labels it with `tag` when given. invalid_argument when the descriptor is not
  // self-consistent or conflicts with the stored one.
  // A descriptor is self-consistent when it is well_formed(), its segment ID is the one its
  // HoD and Kp derive, and (V1) a complete list of block hashes hashes to its HoD.
  [[nodiscard]] Expected<void, StoreError> describe(const pccrc::SegmentDescriptor& segment,
                                                    const std::optional<ContentTag>& tag);
  // The same for many segments in one transaction (a CI of 1 GiB has ~16,000 V2 segments: one
  // durable commit each would take seconds). All or nothing.
  [[nodiscard]] Expected<void, StoreError> describe(
      std::span<const pccrc::SegmentDescriptor> segments, const std::optional<ContentTag>& tag);

  // Stores verified blocks of described segments in one transaction (group commit: callers
  // batch what arrives close together), durably as the SyncPolicy says. Blocks already present
  // are skipped.
  // invalid_argument, and nothing stored, when a block's segment was not described or the
  // block does not fit it (index or length); disk_full or io_error when the bytes cannot be
  // written (then nothing is marked present). An error of the eviction that follows a
  // successful store is returned too (the blocks are stored; the limit is applied next time).
  [[nodiscard]] Expected<void, StoreError> put_blocks(std::span<const pccrc::VerifiedBlock> blocks);
  // The same for blocks shared with others (CacheFront's pending blocks): no copy of the bytes.
  [[nodiscard]] Expected<void, StoreError> put_blocks(
      std::span<const std::shared_ptr<const pccrc::VerifiedBlock>> blocks);
  // The same by pointer (none null); what the two above call.
  [[nodiscard]] Expected<void, StoreError> put_blocks(
      std::span<const pccrc::VerifiedBlock* const> blocks);

  // Makes every block stored so far durable: fdatasync()s the files of the unsynced segments
  // (concurrently, as put_blocks does in every_batch mode), then marks them synced in one
  // FULL-sync commit. Returns how many segments it synced. Cheap when there is nothing to do;
  // the destructor calls it too. io_error or disk_full when a file cannot be synced (the
  // segments stay unsynced, and are dropped if the OS crashes before a checkpoint succeeds).
  [[nodiscard]] Expected<std::uint64_t, StoreError> checkpoint();

  // The bytes of a present block (and marks the segment used), or nullopt. A block whose file
  // turns out missing or short (edited under the cache) is forgotten, and nullopt.
  // `presence`, when given, receives the segment's presence as the same row lookup found it
  // (nullopt: not described), whether or not the block is present: what a peer's read needs
  // besides the bytes, without a second lookup.
  [[nodiscard]] Expected<std::optional<std::vector<std::uint8_t>>, StoreError> read_block(
      const crypto::Digest& segment_id, pccrc::BlockIndex index,
      std::optional<SegmentPresence>* presence = nullptr);

  [[nodiscard]] Expected<std::optional<SegmentState>, StoreError> segment(
      const crypto::Digest& segment_id);
  // The presence part of segment() (nullopt when not described), from the row's own columns:
  // one indexed lookup by a statement prepared once, no descriptor decoded.
  [[nodiscard]] Expected<std::optional<SegmentPresence>, StoreError> presence(
      const crypto::Digest& segment_id);

  // Removes the label `tag` and every segment it leaves unlabelled (see "Tags" above); returns
  // how many segments went.
  [[nodiscard]] Expected<std::uint64_t, StoreError> flush(const ContentTag& tag);
  // Removes everything.
  [[nodiscard]] Expected<void, StoreError> clear();
  // Applies the limits now; returns how many segments were evicted.
  [[nodiscard]] Expected<std::uint64_t, StoreError> evict();
  [[nodiscard]] Expected<CacheUsage, StoreError> usage();

  // The new limits apply from the next put_blocks() or evict() (call it to apply them now).
  void set_limits(CacheLimits limits);
  [[nodiscard]] const std::filesystem::path& dir() const noexcept;
  // Where open() moved a corrupt cache.sqlite (recover_corrupt), or nullopt.
  [[nodiscard]] const std::optional<std::filesystem::path>& moved_aside() const noexcept;
  // What open() found of the previous run (a clean shutdown, a reboot, blocks dropped).
  [[nodiscard]] const DataCacheOpenReport& open_report() const noexcept;

 private:
  struct Impl;
  explicit DataCache(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peerdist::store
