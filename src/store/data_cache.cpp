#include "peerdist/store/data_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/keys.hpp"

#include "data_cache_record.hpp"
#include "database_file.hpp"
#include "segment_files.hpp"
#include "sqlite.hpp"

namespace peerdist::store {
namespace {

using cache_record::BlockBitmap;
using cache_record::Row;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

// PRAGMA application_id of cache.sqlite ("PDDC"; the catalog's is "PDCA"), so that neither file
// is ever taken for the other.
constexpr std::int64_t kApplicationId = 0x50444443;

// Uses recorded by read_block() are written at the latest this long after the last write.
constexpr std::chrono::seconds kTouchWriteInterval{60};

// The share of the file system a cache may fill when CacheLimits::max_bytes is 0.
constexpr std::uint64_t kDefaultShareDivisor = 20;  // 5%

// Segment files a checkpoint holds open at once: a checkpoint after 30 s of V2 downloads may
// have hundreds of thousands to sync, and peerdistd's descriptors are limited (a soft
// RLIMIT_NOFILE of 1024 is common) and shared with its sockets.
constexpr std::size_t kSyncFilesPerRound = 256;

// Deleted segments (checkpoint mode) remembered until a durable commit: past this many, the
// next put_blocks() makes the deletions durable (one FULL commit) rather than let the set grow
// (about 100 bytes each). One sync per 4096 evicted segments is nothing next to the writes.
constexpr std::size_t kMaxUndurableDeletions = 4096;

// --- The schema, one migration per version (never edited once released). ---
constexpr std::array<const char*, DataCache::kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
-- One row per described segment. The geometry is in columns of its own, so that put_blocks and
-- read_block never decode the descriptor; the descriptor comes last, after the small columns,
-- because a V1 descriptor (~17 KB) spills to overflow pages that reading the columns before it
-- does not touch.
CREATE TABLE segments (
  id             INTEGER PRIMARY KEY,
  segment_id     BLOB    NOT NULL UNIQUE CHECK (length(segment_id) IN (32, 48, 64)),
  version        INTEGER NOT NULL CHECK (version IN (1, 2)),
  segment_length INTEGER NOT NULL CHECK (segment_length BETWEEN 1 AND 33554432),
  block_size     INTEGER NOT NULL CHECK (block_size BETWEEN 1 AND 131072),
  present        BLOB    NOT NULL,  -- bitmap, bit i = block i (data_cache_record.hpp)
  present_count  INTEGER NOT NULL CHECK (present_count >= 0),
  bytes_present  INTEGER NOT NULL CHECK (bytes_present >= 0),
  first_cached   INTEGER NOT NULL,  -- unix seconds
  last_used      INTEGER NOT NULL,  -- unix seconds
  descriptor     BLOB    NOT NULL   -- encoded SegmentDescriptor (data_cache_record.hpp)
) STRICT;

-- Eviction candidates by size, least recently used first: only segments that hold bytes.
CREATE INDEX segments_lru ON segments (last_used, id) WHERE bytes_present > 0;
CREATE INDEX segments_by_age ON segments (first_cached);

-- The content tags (FlushContent) labelling each segment.
CREATE TABLE tags (
  tag     BLOB    NOT NULL CHECK (length(tag) = 16),
  segment INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, segment)
) STRICT, WITHOUT ROWID;
CREATE INDEX tags_by_segment ON tags (segment);
)sql",
    // 1 -> 2: SyncPolicy::checkpoint
    R"sql(
-- 1: blocks were written since the segment's file was last fdatasync'ed (checkpoint mode); an
-- OS crash before the next checkpoint may have lost them. Added last, after the descriptor:
-- it is read through segments_unsynced, never by scanning rows.
ALTER TABLE segments ADD COLUMN unsynced INTEGER NOT NULL DEFAULT 0 CHECK (unsynced IN (0, 1));
CREATE INDEX segments_unsynced ON segments (id) WHERE unsynced = 1;

-- What open() needs of the previous run: the kernel boot ID it ran under (a reboot since then
-- may have lost unsynced writes) and whether it closed cleanly. syncs counts durable commits:
-- each changes it, because a commit that changes no page writes nothing and syncs nothing.
CREATE TABLE last_open (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  boot_id        TEXT    NOT NULL,
  clean_shutdown INTEGER NOT NULL CHECK (clean_shutdown IN (0, 1)),
  syncs          INTEGER NOT NULL
) STRICT;
)sql",
};

namespace sql {

// synchronous=FULL: in WAL mode, NORMAL syncs only at checkpoints, so a commit marking blocks
// present could be lost to a power cut after put_blocks() returned (harmless for the data, but
// the caller was told they are stored). In checkpoint mode the relaxed commits switch to NORMAL
// (Impl::begin_write). foreign_keys: for the tags' cascade.
constexpr const char* kConnectionPragmas =
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;";

// The columns decode_row() reads, in its order; some statements add the descriptor as column 10.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): compile-time concatenation
#define PEERDIST_ROW_COLUMNS                                                             \
  "SELECT id, segment_id, version, segment_length, block_size, present, present_count, " \
  "bytes_present, first_cached, last_used "
constexpr std::string_view kSelectRow = PEERDIST_ROW_COLUMNS "FROM segments WHERE segment_id = ?1";
constexpr std::string_view kSelectRowAndDescriptor =
    PEERDIST_ROW_COLUMNS ", descriptor, unsynced FROM segments WHERE segment_id = ?1";
constexpr std::string_view kUnsyncedRows = PEERDIST_ROW_COLUMNS "FROM segments WHERE unsynced = 1";
constexpr std::string_view kAllRows = PEERDIST_ROW_COLUMNS ", descriptor FROM segments";
#undef PEERDIST_ROW_COLUMNS

constexpr std::string_view kSelectDescriptor =
    "SELECT id, descriptor FROM segments WHERE segment_id = ?1";
constexpr std::string_view kInsertSegment =
    "INSERT INTO segments (segment_id, version, segment_length, block_size, present, "
    "present_count, bytes_present, first_cached, last_used, descriptor) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?6, ?7) RETURNING id";
constexpr std::string_view kUpdateDescriptor = "UPDATE segments SET descriptor = ?2 WHERE id = ?1";
constexpr std::string_view kInsertTag =
    "INSERT INTO tags (tag, segment) VALUES (?1, ?2) ON CONFLICT DO NOTHING";

constexpr std::string_view kUpdatePresence =
    "UPDATE segments SET present = ?2, present_count = ?3, bytes_present = ?4, "
    "first_cached = ?5, last_used = ?6, unsynced = ?7 WHERE id = ?1";
// Presence only (a block forgotten): neither time changes.
constexpr std::string_view kSetPresence =
    "UPDATE segments SET present = ?2, present_count = ?3, bytes_present = ?4 WHERE id = ?1";
// After a reboot: the blocks of an unsynced segment are gone (the segment stays described).
constexpr std::string_view kDropPresence =
    "UPDATE segments SET present = ?2, present_count = 0, bytes_present = 0, unsynced = 0 "
    "WHERE id = ?1";
constexpr std::string_view kUnsyncedSegments = "SELECT segment_id FROM segments WHERE unsynced = 1";
constexpr const char* kMarkSynced = "UPDATE segments SET unsynced = 0 WHERE unsynced = 1";

constexpr std::string_view kLastOpen = "SELECT boot_id, clean_shutdown FROM last_open WHERE id = 1";
constexpr std::string_view kRecordOpen =
    "INSERT INTO last_open (id, boot_id, clean_shutdown, syncs) VALUES (1, CAST(?1 AS TEXT), 0, 1) "
    "ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, clean_shutdown = 0, "
    "syncs = syncs + 1";
constexpr const char* kCountSync = "UPDATE last_open SET syncs = syncs + 1 WHERE id = 1";
constexpr const char* kRecordCleanShutdown = "UPDATE last_open SET clean_shutdown = 1 WHERE id = 1";

constexpr std::string_view kTouch =
    "UPDATE segments SET last_used = max(last_used, ?2) WHERE id = ?1";

constexpr std::string_view kAged =
    "SELECT id, segment_id, bytes_present FROM segments WHERE first_cached < ?1";
constexpr std::string_view kLeastRecentlyUsed =
    "SELECT id, segment_id, bytes_present FROM segments WHERE bytes_present > 0 "
    "ORDER BY last_used, id";
// The segments whose only label is ?1.
constexpr std::string_view kOnlyLabelledBy =
    "SELECT s.id, s.segment_id, s.bytes_present FROM tags AS t JOIN segments AS s "
    "ON s.id = t.segment WHERE t.tag = ?1 AND NOT EXISTS "
    "(SELECT 1 FROM tags AS o WHERE o.segment = t.segment AND o.tag <> ?1)";
constexpr std::string_view kDeleteTag = "DELETE FROM tags WHERE tag = ?1";
constexpr std::string_view kDeleteSegment = "DELETE FROM segments WHERE id = ?1";
constexpr const char* kDeleteEverything = "DELETE FROM tags; DELETE FROM segments;";

constexpr std::string_view kTotalBytes = "SELECT coalesce(sum(bytes_present), 0) FROM segments";
// block count = ceil(segment_length / block_size), in SQL's integer division.
constexpr std::string_view kUsage =
    "SELECT count(*), "
    "coalesce(sum(present_count = (segment_length + block_size - 1) / block_size), 0), "
    "coalesce(sum(present_count), 0), coalesce(sum(bytes_present), 0), min(first_cached), "
    "(SELECT count(*) FROM segments WHERE unsynced = 1) "
    "FROM segments";

}  // namespace sql

// --- Small helpers ---

StoreError invalid(std::string message) {
  return {StoreErrc::invalid_argument, std::move(message)};
}

StoreError closed_error() {
  return {StoreErrc::closed, "the data cache was moved from"};
}

StoreError corrupt_row(const crypto::Digest& segment_id, const util::DecodeError& error) {
  return {StoreErrc::corrupt,
          "the row of segment " + segment_id.hex() + " is corrupt: " + error.message()};
}

std::string key_of(const crypto::Digest& id) {
  const auto bytes = id.bytes();
  return {bytes.begin(), bytes.end()};
}

std::int64_t seconds_of(std::chrono::sys_seconds t) noexcept {
  return t.time_since_epoch().count();
}

// Resets a cached statement when leaving a scope, ending the read snapshot a half-read SELECT
// holds (which would keep a later COMMIT from checkpointing, or block it).
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& s) noexcept : s_(s) {}
  ~ResetOnExit() { s_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& s_;
};

// The row columns of the current row (see PEERDIST_ROW_COLUMNS). Spans live until the next
// step or reset.
cache_record::RawRow raw_row(const Statement& s) {
  cache_record::RawRow raw;
  raw.id = s.column_int64(0);
  raw.segment_id = s.column_blob(1);
  raw.version = s.column_int64(2);
  raw.segment_length = s.column_int64(3);
  raw.block_size = s.column_int64(4);
  raw.present = s.column_blob(5);
  raw.present_count = s.column_int64(6);
  raw.bytes_present = s.column_int64(7);
  raw.first_cached = s.column_int64(8);
  raw.last_used = s.column_int64(9);
  return raw;
}

// The kernel's boot ID (a random UUID drawn at every boot), or "" when it cannot be read.
std::string read_boot_id(const std::filesystem::path& file) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open is variadic by definition
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  std::array<char, 128> buffer{};
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n <= 0) return {};
  // A UUID is 36 characters and a newline; a file that fills the buffer holds no boot ID.
  if (static_cast<std::size_t>(n) == buffer.size()) return {};
  std::string id(buffer.data(), static_cast<std::size_t>(n));
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back())) != 0) id.pop_back();
  return id;
}

std::uint64_t bytes_of(const cache_record::Geometry& g, const BlockBitmap& present) {
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < present.blocks(); ++i) {
    if (present.test(i)) bytes += g.block_length(i);
  }
  return bytes;
}

// Whether a descriptor may be stored: what describe() promises to refuse.
Expected<void, StoreError> check_self_consistent(const pccrc::SegmentDescriptor& d) {
  if (!d.well_formed()) {
    return Unexpected(invalid("segment " + d.segment_id.hex() +
                              ": descriptor is not well formed (hash sizes, length or blocks)"));
  }
  if (pccrc::derive_segment_id(d.scheme, d.kp, d.hod) != d.segment_id) {
    return Unexpected(invalid("segment " + d.segment_id.hex() +
                              ": the segment ID is not the one its HoD and Kp derive"));
  }
  if (d.scheme.version == pccrc::Version::v1 &&
      std::none_of(d.block_hashes.begin(), d.block_hashes.end(),
                   [](const crypto::Digest& h) { return h.empty(); })) {
    crypto::Hasher list(d.scheme.algorithm);
    for (const crypto::Digest& h : d.block_hashes) list.update(h.bytes());
    if (list.finish() != d.hod) {
      return Unexpected(
          invalid("segment " + d.segment_id.hex() + ": the block hashes do not hash to its HoD"));
    }
  }
  return {};
}

SegmentPresence presence_of(const Row& row) {
  SegmentPresence p;
  p.blocks = row.present.blocks();
  p.present_count = row.present.count();
  const auto bytes = row.present.bytes();
  p.bitmap.assign(bytes.begin(), bytes.end());
  p.first_cached = row.first_cached;
  return p;
}

// A victim of eviction or flush: its row goes in the transaction, its file after the commit.
struct Victim {
  std::int64_t id = 0;
  crypto::Digest segment_id;
  std::uint64_t bytes = 0;
};

Expected<std::vector<Victim>, StoreError> select_victims(Statement& select) {
  std::vector<Victim> out;
  for (;;) {
    auto row = select.step();
    if (!row) return Unexpected(std::move(row).error());
    if (!*row) break;
    const std::int64_t bytes = select.column_int64(2);
    out.push_back({select.column_int64(0), crypto::Digest(select.column_blob(1)),
                   bytes < 0 ? 0 : static_cast<std::uint64_t>(bytes)});
  }
  return out;
}

}  // namespace

struct DataCache::Impl {
  std::filesystem::path dir;
  std::filesystem::path db_file;
  FileDescriptor dir_lock;  // flock(LOCK_EX) for as long as this DataCache lives
  SegmentFiles files{std::filesystem::path{}};
  CacheLimits limits;
  std::uint64_t effective_max_bytes = 0;
  std::function<std::chrono::sys_seconds()> clock;
  SyncPolicy policy = SyncPolicy::checkpoint;
  std::optional<std::filesystem::path> moved_aside;
  DataCacheOpenReport open_report;
  bool opened = false;  // open() finished: closing records a clean shutdown
  Database db;
  // Prepared once: the statements of every put_blocks() and read_block().
  Statement select_row;
  Statement update_presence;
  Statement touch;

  // Rows find_row() read since the last write transaction began (begin_write() forgets them
  // all): a peer's reads of one segment, block after block, cost one SQLite lookup instead of
  // one each. Only this connection writes cache.sqlite (open() locks the directory), and
  // find_row() is never called inside a write transaction, so a remembered row is the stored
  // one. Bounded: a few segments are read at once.
  std::unordered_map<std::string, Row> row_memo;
  static constexpr std::size_t kMaxMemoRows = 64;

  std::uint64_t bytes_total = 0;  // sum of bytes_present, kept in step with every commit
  std::unordered_map<std::int64_t, std::int64_t> pending_touches;  // row id -> last used
  std::chrono::sys_seconds touches_written{};

  // The connection's `synchronous` setting: FULL unless a relaxed commit set NORMAL.
  bool full_sync = true;
  // Checkpoint mode: segments whose rows a relaxed commit deleted and whose files are gone. An
  // OS crash may undo such a deletion (the row comes back, marking blocks present and synced)
  // while the unlink stays done; so before put_blocks() creates one of these files again, a
  // durable commit makes the deletion permanent. Emptied by every durable commit.
  std::unordered_set<std::string> undurable_deletions;

  ~Impl() {
    // Best effort: a failure leaves the shutdown unclean (unsynced blocks are dropped only if
    // the OS crashes before the next open), and a lost touch costs LRU precision only.
    if (db && opened) {
      (void)checkpoint(true);
    } else if (db && !pending_touches.empty()) {
      (void)write_touches_now();
    }
    // Statements before the connection.
    touch = Statement();
    update_presence = Statement();
    select_row = Statement();
  }
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;

  [[nodiscard]] std::chrono::sys_seconds now() const {
    if (clock) return clock();
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }

  [[nodiscard]] StoreError fail(StoreError error, std::string_view operation) const {
    error.message = std::string(operation) + " (" + dir.string() + "): " + error.message;
    return error;
  }

  Expected<void, StoreError> update_effective_limit() {
    if (limits.max_bytes != 0) {
      effective_max_bytes = limits.max_bytes;
      return {};
    }
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) {
      const std::error_code ec(errno, std::generic_category());
      return Unexpected(
          StoreError{StoreErrc::io_error, "cannot measure the file system: " + ec.message()});
    }
    const std::uint64_t total = std::uint64_t{fs.f_blocks} * fs.f_frsize;
    effective_max_bytes = std::max<std::uint64_t>(total / kDefaultShareDivisor, 1);
    return {};
  }

  // The row of a segment (without its descriptor), or nullopt.
  Expected<std::optional<Row>, StoreError> find_row(const crypto::Digest& segment_id) {
    std::string key = key_of(segment_id);
    if (auto it = row_memo.find(key); it != row_memo.end()) return std::optional<Row>{it->second};
    const ResetOnExit reset(select_row);
    select_row.bind(1, segment_id.bytes());
    auto found = select_row.step();
    if (!found) return Unexpected(std::move(found).error());
    if (!*found) return std::optional<Row>{};
    auto row = cache_record::decode_row(raw_row(select_row));
    if (!row) return Unexpected(corrupt_row(segment_id, row.error()));
    if (row_memo.size() >= kMaxMemoRows) row_memo.clear();
    row_memo.emplace(std::move(key), *row);
    return std::optional<Row>{std::move(*row)};
  }

  // Writes the recorded uses; inside the caller's transaction.
  Expected<void, StoreError> write_touches() {
    for (const auto& [id, when] : pending_touches) {
      const ResetOnExit reset(touch);
      touch.bind(1, id).bind(2, when);
      if (auto done = touch.run(); !done) return done;
    }
    return {};
  }

  // Called after the transaction that wrote them committed.
  void touches_committed() {
    pending_touches.clear();
    touches_written = now();
  }

  // Commits that may be relaxed (synchronous = NORMAL in checkpoint mode: durable against a
  // process crash, and consistent always, but an OS crash may roll them back) and those that
  // must reach the disk before the call returns.
  enum class Commit { relaxed, durable };

  // Begins a write transaction whose commit() is as durable as `kind` and the policy say.
  Expected<Transaction, StoreError> begin_write(Commit kind) {
    row_memo.clear();  // whatever this transaction changes
    const bool full = kind == Commit::durable || policy == SyncPolicy::every_batch;
    if (full != full_sync) {
      // Outside any transaction, as SQLite requires; it applies to the next commits.
      if (auto set = db.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
          !set) {
        return Unexpected(set.error());
      }
      full_sync = full;
    }
    return Transaction::begin(db, Transaction::Kind::immediate);
  }

  // Commits what begin_write() began. A durable commit in checkpoint mode counts itself in
  // last_open.syncs, so that it always writes (and syncs) a page: it then makes every relaxed
  // commit before it durable too, deletions included.
  Expected<void, StoreError> commit(Transaction& transaction) {
    const bool makes_earlier_durable = full_sync && policy == SyncPolicy::checkpoint;
    if (makes_earlier_durable) {
      if (auto counted = db.exec(sql::kCountSync); !counted) return counted;
    }
    if (auto committed = transaction.commit(); !committed) return committed;
    if (makes_earlier_durable) undurable_deletions.clear();
    return {};
  }

  // One durable commit and nothing else: the deletions before it can no longer be undone.
  Expected<void, StoreError> make_deletions_durable() {
    auto transaction = begin_write(Commit::durable);
    if (!transaction) return Unexpected(std::move(transaction).error());
    return commit(*transaction);
  }

  Expected<void, StoreError> write_touches_now() {
    auto transaction = begin_write(Commit::relaxed);
    if (!transaction) return Unexpected(std::move(transaction).error());
    if (auto done = write_touches(); !done) return done;
    if (auto committed = commit(*transaction); !committed) return committed;
    touches_committed();
    return {};
  }

  Expected<void, StoreError> set_presence(std::int64_t id, const BlockBitmap& present,
                                          std::uint64_t bytes) {
    auto update = Statement::prepare(db, sql::kSetPresence);
    if (!update) return Unexpected(std::move(update).error());
    update->bind(1, id)
        .bind(2, present.bytes())
        .bind(3, std::int64_t{present.count()})
        .bind(4, static_cast<std::int64_t>(bytes));
    return update->run();
  }

  // Deletes the victims' rows in the caller's transaction.
  Expected<void, StoreError> delete_rows(const std::vector<Victim>& victims) {
    if (victims.empty()) return {};
    auto remove = Statement::prepare(db, sql::kDeleteSegment);
    if (!remove) return Unexpected(std::move(remove).error());
    for (const Victim& v : victims) {
      remove->bind(1, v.id);
      if (auto done = remove->run(); !done) return done;
      remove->reset();
    }
    return {};
  }

  // After the commit that deleted their rows: the files and the byte count. A file that cannot
  // be removed now is an orphan the next open() removes.
  void forget_victims(const std::vector<Victim>& victims) {
    for (const Victim& v : victims) {
      if (!full_sync) undurable_deletions.insert(key_of(v.segment_id));
      (void)files.remove(v.segment_id);
      pending_touches.erase(v.id);
      bytes_total -= std::min(bytes_total, v.bytes);
    }
  }

  Expected<std::uint64_t, StoreError> checkpoint(bool closing);
  Expected<void, StoreError> recover_after_crash(const std::string& boot_id);
  Expected<std::uint64_t, StoreError> evict();
  Expected<void, StoreError> reconcile();
  Expected<void, StoreError> forget_missing(const Row& row);
};

// --- Eviction ---

Expected<std::uint64_t, StoreError> DataCache::Impl::evict() {
  const std::chrono::sys_seconds t = now();
  auto transaction = begin_write(Commit::relaxed);
  if (!transaction) return Unexpected(std::move(transaction).error());
  // The uses read_block() recorded count for the LRU order below.
  if (auto done = write_touches(); !done) return Unexpected(done.error());

  std::vector<Victim> victims;
  std::uint64_t remaining = bytes_total;
  if (limits.max_age > std::chrono::seconds::zero()) {
    auto aged = Statement::prepare(db, sql::kAged);
    if (!aged) return Unexpected(std::move(aged).error());
    aged->bind(1, seconds_of(t - limits.max_age));
    auto selected = select_victims(*aged);
    if (!selected) return Unexpected(std::move(selected).error());
    for (Victim& v : *selected) {
      remaining -= std::min(remaining, v.bytes);
      victims.push_back(std::move(v));
    }
  }
  if (remaining > effective_max_bytes) {
    std::unordered_set<std::int64_t> chosen;
    for (const Victim& v : victims) chosen.insert(v.id);
    auto lru = Statement::prepare(db, sql::kLeastRecentlyUsed);
    if (!lru) return Unexpected(std::move(lru).error());
    // Stepped only as far as needed: the index gives the rows in LRU order.
    while (remaining > effective_max_bytes) {
      auto row = lru->step();
      if (!row) return Unexpected(std::move(row).error());
      if (!*row) break;
      const std::int64_t id = lru->column_int64(0);
      if (chosen.contains(id)) continue;
      const std::int64_t bytes = lru->column_int64(2);
      Victim v{id, crypto::Digest(lru->column_blob(1)),
               bytes < 0 ? 0 : static_cast<std::uint64_t>(bytes)};
      remaining -= std::min(remaining, v.bytes);
      victims.push_back(std::move(v));
    }
  }
  if (auto done = delete_rows(victims); !done) return Unexpected(done.error());
  if (auto committed = commit(*transaction); !committed) return Unexpected(committed.error());
  touches_committed();
  forget_victims(victims);
  return victims.size();
}

// --- Reconcile (open) ---

Expected<void, StoreError> DataCache::Impl::reconcile() {
  struct Fix {
    std::int64_t id;
    BlockBitmap present;
    std::uint64_t bytes;
  };
  std::vector<std::int64_t> bad_rows;
  std::vector<Fix> fixes;
  std::unordered_set<std::string> kept;
  {
    auto all = Statement::prepare(db, sql::kAllRows);
    if (!all) return Unexpected(std::move(all).error());
    for (;;) {
      auto step = all->step();
      if (!step) return Unexpected(std::move(step).error());
      if (!*step) break;
      auto row = cache_record::decode_row(raw_row(*all));
      auto descriptor = cache_record::decode_descriptor(all->column_blob(10));
      if (!row || !descriptor || !cache_record::matches(*row, *descriptor)) {
        // An edited file: the row cannot be trusted to say what its blocks are. Its segment
        // file, if any, goes with the files of no row below.
        bad_rows.push_back(all->column_int64(0));
        continue;
      }
      kept.insert(key_of(row->segment_id));
      if (row->present.count() == 0) continue;
      auto size = files.size(row->segment_id);
      if (!size) return Unexpected(std::move(size).error());
      BlockBitmap present = row->present;
      for (std::uint32_t i = 0; i < present.blocks(); ++i) {
        if (!present.test(i)) continue;
        const std::uint64_t end = row->geometry.block_offset(i) + row->geometry.block_length(i);
        if (!size->has_value() || **size < end) present.reset(i);
      }
      if (present.count() != row->present.count()) {
        const std::uint64_t bytes = bytes_of(row->geometry, present);
        fixes.push_back({row->id, std::move(present), bytes});
      }
    }
  }
  if (!bad_rows.empty() || !fixes.empty()) {
    auto transaction = begin_write(Commit::durable);
    if (!transaction) return Unexpected(std::move(transaction).error());
    std::vector<Victim> victims;
    for (const std::int64_t id : bad_rows) victims.push_back({id, {}, 0});
    if (auto done = delete_rows(victims); !done) return done;
    for (const Fix& fix : fixes) {
      if (auto done = set_presence(fix.id, fix.present, fix.bytes); !done) return done;
    }
    if (auto committed = commit(*transaction); !committed) return committed;
  }
  auto removed =
      files.remove_unknown([&kept](const crypto::Digest& id) { return kept.contains(key_of(id)); });
  if (!removed) return Unexpected(std::move(removed).error());
  auto total = database_file::query_int(db, sql::kTotalBytes);
  if (!total) return Unexpected(std::move(total).error());
  bytes_total = *total < 0 ? 0 : static_cast<std::uint64_t>(*total);
  return {};
}

// A present block's file is missing or short: what the file no longer holds is forgotten.
Expected<void, StoreError> DataCache::Impl::forget_missing(const Row& row) {
  auto size = files.size(row.segment_id);
  if (!size) return Unexpected(std::move(size).error());
  BlockBitmap present = row.present;
  for (std::uint32_t i = 0; i < present.blocks(); ++i) {
    if (!present.test(i)) continue;
    const std::uint64_t end = row.geometry.block_offset(i) + row.geometry.block_length(i);
    if (!size->has_value() || **size < end) present.reset(i);
  }
  const std::uint64_t bytes = bytes_of(row.geometry, present);
  // Durable: a rolled-back forget would mark blocks present again over a file that a later put
  // may have extended with bytes not yet on disk. (Rare: the file was edited under the cache.)
  auto transaction = begin_write(Commit::durable);
  if (!transaction) return Unexpected(std::move(transaction).error());
  if (auto done = set_presence(row.id, present, bytes); !done) return done;
  if (auto committed = commit(*transaction); !committed) return committed;
  bytes_total -= std::min(bytes_total, row.bytes_present - bytes);
  return {};
}

// --- Checkpoint and recovery ---

Expected<std::uint64_t, StoreError> DataCache::Impl::checkpoint(bool closing) {
  std::vector<crypto::Digest> unsynced;
  {
    auto select = Statement::prepare(db, sql::kUnsyncedSegments);
    if (!select) return Unexpected(std::move(select).error());
    for (;;) {
      auto row = select->step();
      if (!row) return Unexpected(std::move(row).error());
      if (!*row) break;
      unsynced.emplace_back(select->column_blob(0));
    }
  }
  if (unsynced.empty() && undurable_deletions.empty() && !closing) return 0;

  // The files first, a round of them at a time; only then the commit that says they are synced.
  // A file that is missing has nothing to sync (the next read or open drops its blocks).
  for (std::size_t first = 0; first < unsynced.size(); first += kSyncFilesPerRound) {
    std::vector<FileDescriptor> round;
    const std::size_t end = std::min(unsynced.size(), first + kSyncFilesPerRound);
    for (std::size_t i = first; i < end; ++i) {
      auto fd = files.open_for_sync(unsynced[i]);
      if (!fd) return Unexpected(std::move(fd).error());
      if (fd->has_value()) round.push_back(std::move(**fd));
    }
    if (auto synced = SegmentFiles::sync_data(round); !synced) return Unexpected(synced.error());
  }

  auto transaction = begin_write(Commit::durable);
  if (!transaction) return Unexpected(std::move(transaction).error());
  if (auto done = write_touches(); !done) return Unexpected(done.error());
  // Every unsynced row was in the list: this connection is the only writer, and the cache
  // thread made no put in between.
  if (auto done = db.exec(sql::kMarkSynced); !done) return Unexpected(done.error());
  if (closing) {
    if (auto done = db.exec(sql::kRecordCleanShutdown); !done) return Unexpected(done.error());
  }
  if (auto committed = commit(*transaction); !committed) return Unexpected(committed.error());
  touches_committed();
  return unsynced.size();
}

Expected<void, StoreError> DataCache::Impl::recover_after_crash(const std::string& boot_id) {
  auto transaction = begin_write(Commit::durable);
  if (!transaction) return Unexpected(std::move(transaction).error());
  {
    auto last = Statement::prepare(db, sql::kLastOpen);
    if (!last) return Unexpected(std::move(last).error());
    auto found = last->step();
    if (!found) return Unexpected(std::move(found).error());
    if (*found) {
      const std::string previous = last->column_text(0);
      open_report.previous_shutdown_clean = last->column_int64(1) == 1;
      open_report.rebooted = boot_id.empty() || previous.empty() || previous != boot_id;
    } else {
      // A new cache, or one this version never opened: nothing can be unsynced, but should
      // something be, not knowing counts as a reboot.
      open_report.previous_shutdown_clean = true;
      open_report.rebooted = true;
    }
  }
  // A clean shutdown leaves no segment unsynced, so after one this drops nothing; the rule does
  // not rely on the flag.
  if (open_report.rebooted) {
    auto rows = Statement::prepare(db, sql::kUnsyncedRows);
    auto drop = Statement::prepare(db, sql::kDropPresence);
    if (!rows) return Unexpected(std::move(rows).error());
    if (!drop) return Unexpected(std::move(drop).error());
    std::vector<std::pair<std::int64_t, BlockBitmap>> dropped;
    for (;;) {
      auto step = rows->step();
      if (!step) return Unexpected(std::move(step).error());
      if (!*step) break;
      // A row that does not decode is the reconcile's to delete.
      auto row = cache_record::decode_row(raw_row(*rows));
      if (!row) continue;
      if (row->present.count() > 0) {
        ++open_report.dropped_segments;
        open_report.dropped_blocks += row->present.count();
        open_report.dropped_bytes += row->bytes_present;
      }
      dropped.emplace_back(row->id, BlockBitmap(row->geometry.block_count()));
    }
    rows->reset();
    for (const auto& [id, none] : dropped) {
      drop->bind(1, id).bind(2, none.bytes());
      if (auto done = drop->run(); !done) return done;
      drop->reset();
    }
  }
  {
    auto record = Statement::prepare(db, sql::kRecordOpen);
    if (!record) return Unexpected(std::move(record).error());
    // Bound as bytes (the wrapper binds no text) and cast to TEXT by the statement.
    const std::vector<std::uint8_t> text(boot_id.begin(), boot_id.end());
    record->bind(1, text);
    if (auto done = record->run(); !done) return done;
  }
  // Durable, with a page changed whatever the state (syncs): the relaxed commits of a process
  // that crashed are on disk before the reconcile deletes a file by what they say.
  return transaction->commit();
}

// --- Open ---

Expected<DataCache, StoreError> DataCache::open(const std::filesystem::path& dir,
                                                CacheLimits limits,
                                                const DataCacheOptions& options) {
  const auto failed = [&dir](StoreError e) {
    e.message = "cannot open data cache (" + dir.string() + "): " + e.message;
    return Unexpected(std::move(e));
  };
  if (dir.empty()) return failed(invalid("no directory given"));
  {
    std::error_code ec;
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      const std::error_code err(errno, std::generic_category());
      return failed({StoreErrc::cannot_open, "cannot create the directory: " + err.message()});
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->db_file = dir / kDatabaseFileName;
  impl->files = SegmentFiles(dir / kSegmentsDirName);
  impl->limits = limits;
  impl->clock = options.clock;
  impl->policy = options.sync_policy;

  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open is variadic by definition
  impl->dir_lock.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!impl->dir_lock.valid()) {
    const std::error_code err(errno, std::generic_category());
    return failed({StoreErrc::cannot_open, "cannot open the directory: " + err.message()});
  }
  // Reconcile deletes files it has no row for: two caches on one directory would delete each
  // other's new blocks.
  if (::flock(impl->dir_lock.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return failed({StoreErrc::busy, "another data cache has this directory open"});
    }
    const std::error_code ec(err, std::generic_category());
    return failed({StoreErrc::io_error, "cannot lock the directory: " + ec.message()});
  }
  // The cache holds content bytes: only the service's user reads them.
  struct stat st {};
  if (::fstat(impl->dir_lock.get(), &st) != 0 ||
      ((st.st_mode & 077U) != 0 && ::fchmod(impl->dir_lock.get(), 0700) != 0)) {
    const std::error_code ec(errno, std::generic_category());
    return failed({StoreErrc::cannot_open, "cannot make the directory private: " + ec.message()});
  }

  const database_file::Schema schema{kApplicationId, kMigrations, sql::kConnectionPragmas};
  auto db = database_file::open(impl->db_file, schema, options.busy_timeout);
  if (!db && db.error().code == StoreErrc::corrupt && options.recover_corrupt) {
    auto target = database_file::move_aside(impl->db_file);
    if (!target) return failed(std::move(target).error());
    impl->moved_aside = std::move(*target);
    db = database_file::open(impl->db_file, schema, options.busy_timeout);
  }
  if (!db) {
    StoreError error = std::move(db).error();
    if (error.code == StoreErrc::corrupt) {
      error.message += "; move " + impl->db_file.string() + " aside to start with an empty cache";
    }
    return failed(std::move(error));
  }
  impl->db = std::move(*db);

  for (auto [statement, text] : {std::pair{&impl->select_row, sql::kSelectRow},
                                 std::pair{&impl->update_presence, sql::kUpdatePresence},
                                 std::pair{&impl->touch, sql::kTouch}}) {
    auto prepared = Statement::prepare(impl->db, text);
    if (!prepared) return failed(std::move(prepared).error());
    *statement = std::move(*prepared);
  }
  if (auto made = impl->files.create_dir(); !made) return failed(made.error());
  // Before the reconcile: it trusts the rows to say which blocks the files hold.
  if (auto done = impl->recover_after_crash(read_boot_id(options.boot_id_file)); !done) {
    return failed(done.error());
  }
  if (auto done = impl->reconcile(); !done) return failed(done.error());
  if (auto measured = impl->update_effective_limit(); !measured) return failed(measured.error());
  impl->touches_written = impl->now();
  if (auto evicted = impl->evict(); !evicted) return failed(std::move(evicted).error());
  impl->opened = true;
  return DataCache(std::move(impl));
}

DataCache::DataCache(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
DataCache::~DataCache() = default;
DataCache::DataCache(DataCache&& other) noexcept = default;
DataCache& DataCache::operator=(DataCache&& other) noexcept = default;

const std::filesystem::path& DataCache::dir() const noexcept {
  static const std::filesystem::path none;
  return impl_ ? impl_->dir : none;
}

const std::optional<std::filesystem::path>& DataCache::moved_aside() const noexcept {
  static const std::optional<std::filesystem::path> none;
  return impl_ ? impl_->moved_aside : none;
}

const DataCacheOpenReport& DataCache::open_report() const noexcept {
  static const DataCacheOpenReport none;
  return impl_ ? impl_->open_report : none;
}

void DataCache::set_limits(CacheLimits limits) {
  if (!impl_) return;
  impl_->limits = limits;
  // A file system that cannot be measured now keeps the limit measured before.
  (void)impl_->update_effective_limit();
}

// --- describe ---

Expected<void, StoreError> DataCache::describe(const pccrc::SegmentDescriptor& segment,
                                               const std::optional<ContentTag>& tag) {
  return describe(std::span(&segment, 1), tag);
}

Expected<void, StoreError> DataCache::describe(std::span<const pccrc::SegmentDescriptor> segments,
                                               const std::optional<ContentTag>& tag) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot describe segments";
  const auto failed = [&](StoreError e) {
    return Unexpected(impl_->fail(std::move(e), kOperation));
  };
  for (const pccrc::SegmentDescriptor& d : segments) {
    if (auto ok = check_self_consistent(d); !ok) return failed(ok.error());
  }
  const std::int64_t t = seconds_of(impl_->now());
  // Relaxed in checkpoint mode: a description an OS crash rolls back is described again by the
  // next CI, and the blocks put after it were rolled back with it.
  auto transaction = impl_->begin_write(Impl::Commit::relaxed);
  if (!transaction) return failed(std::move(transaction).error());
  auto select = Statement::prepare(impl_->db, sql::kSelectDescriptor);
  auto insert = Statement::prepare(impl_->db, sql::kInsertSegment);
  auto update = Statement::prepare(impl_->db, sql::kUpdateDescriptor);
  auto label = Statement::prepare(impl_->db, sql::kInsertTag);
  for (auto* s : {&select, &insert, &update, &label}) {
    if (!*s) return failed(std::move(*s).error());
  }
  for (const pccrc::SegmentDescriptor& d : segments) {
    std::int64_t id = 0;
    select->bind(1, d.segment_id.bytes());
    auto found = select->step();
    if (!found) return failed(std::move(found).error());
    if (*found) {
      id = select->column_int64(0);
      auto stored = cache_record::decode_descriptor(select->column_blob(1));
      select->reset();
      if (!stored) return failed(corrupt_row(d.segment_id, stored.error()));
      pccrc::SegmentDescriptor merged = *stored;
      if (!merged.merge(d)) {
        return failed(invalid("segment " + d.segment_id.hex() +
                              ": the descriptor conflicts with the one stored"));
      }
      if (merged != *stored) {
        update->bind(1, id).bind(2, cache_record::encode_descriptor(merged));
        if (auto done = update->run(); !done) return failed(done.error());
        update->reset();
      }
    } else {
      select->reset();
      const BlockBitmap none(d.block_count());
      insert->bind(1, d.segment_id.bytes())
          .bind(2, static_cast<std::int64_t>(d.scheme.version))
          .bind(3, std::int64_t{d.segment_length})
          .bind(4, std::int64_t{d.block_size})
          .bind(5, none.bytes())
          .bind(6, t)
          .bind(7, cache_record::encode_descriptor(d));
      auto inserted = insert->step();
      if (!inserted) return failed(std::move(inserted).error());
      if (!*inserted) return failed({StoreErrc::database_error, "INSERT returned no id"});
      id = insert->column_int64(0);
      insert->reset();
    }
    if (tag) {
      label->bind(1, std::span<const std::uint8_t>(*tag)).bind(2, id);
      if (auto done = label->run(); !done) return failed(done.error());
      label->reset();
    }
  }
  if (auto committed = impl_->commit(*transaction); !committed) return failed(committed.error());
  return {};
}

// --- put_blocks ---

Expected<void, StoreError> DataCache::put_blocks(std::span<const pccrc::VerifiedBlock> blocks) {
  std::vector<const pccrc::VerifiedBlock*> pointers;
  pointers.reserve(blocks.size());
  for (const pccrc::VerifiedBlock& block : blocks) pointers.push_back(&block);
  return put_blocks(std::span<const pccrc::VerifiedBlock* const>(pointers));
}

Expected<void, StoreError> DataCache::put_blocks(
    std::span<const std::shared_ptr<const pccrc::VerifiedBlock>> blocks) {
  std::vector<const pccrc::VerifiedBlock*> pointers;
  pointers.reserve(blocks.size());
  for (const auto& block : blocks) pointers.push_back(block.get());
  return put_blocks(std::span<const pccrc::VerifiedBlock* const>(pointers));
}

Expected<void, StoreError> DataCache::put_blocks(
    std::span<const pccrc::VerifiedBlock* const> blocks) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot store blocks";
  const auto failed = [&](StoreError e) {
    return Unexpected(impl_->fail(std::move(e), kOperation));
  };
  if (blocks.empty()) return {};

  // What each segment gets: its row as stored, its new presence, the blocks to write.
  struct Target {
    Row row;
    BlockBitmap present;
    std::uint64_t added = 0;
    std::vector<BlockWrite> writes;
  };
  std::vector<Target> targets;
  std::unordered_map<std::string, std::size_t> by_id;
  for (const pccrc::VerifiedBlock* pointer : blocks) {
    const pccrc::VerifiedBlock& block = *pointer;
    const std::string key = key_of(block.segment_id());
    auto it = by_id.find(key);
    if (it == by_id.end()) {
      auto row = impl_->find_row(block.segment_id());
      if (!row) return failed(std::move(row).error());
      if (!row->has_value()) {
        return failed(invalid("segment " + block.segment_id().hex() + " was not described"));
      }
      BlockBitmap present = (*row)->present;
      targets.push_back({std::move(**row), std::move(present), 0, {}});
      it = by_id.emplace(key, targets.size() - 1).first;
    }
    Target& target = targets[it->second];
    const std::uint32_t index = block.index().value();
    const cache_record::Geometry& g = target.row.geometry;
    if (index >= g.block_count() || block.bytes().size() != g.block_length(index)) {
      return failed(invalid("block " + std::to_string(index) + " of segment " +
                            block.segment_id().hex() + " does not fit the described segment"));
    }
    if (target.present.test(index)) continue;  // stored already, or twice in this batch
    target.present.set(index);
    target.added += block.bytes().size();
    target.writes.push_back({g.block_offset(index), block.bytes()});
  }

  // A file whose segment's deletion an OS crash could still undo is not created again before
  // that deletion is durable (see Impl::undurable_deletions).
  if (!impl_->undurable_deletions.empty()) {
    const bool recreates = std::any_of(targets.begin(), targets.end(), [&](const Target& target) {
      return !target.writes.empty() &&
             impl_->undurable_deletions.contains(key_of(target.row.segment_id));
    });
    if (recreates || impl_->undurable_deletions.size() > kMaxUndurableDeletions) {
      if (auto durable = impl_->make_deletions_durable(); !durable) return failed(durable.error());
    }
  }

  // The bytes first; only then the rows that say they are there. every_batch: durably, so that
  // the commit below also says the segments' files are synced (fdatasync syncs the whole file,
  // blocks an earlier checkpoint-mode put left unsynced included). checkpoint: in the page
  // cache, which a process crash does not lose; the commit marks the segments unsynced.
  const bool sync_now = impl_->policy == SyncPolicy::every_batch;
  {
    std::vector<FileDescriptor> written;
    for (const Target& target : targets) {
      if (target.writes.empty()) continue;
      auto fd = impl_->files.write(target.row.segment_id, target.writes);
      if (!fd) return failed(std::move(fd).error());
      written.push_back(std::move(*fd));
    }
    if (written.empty()) return {};
    if (sync_now) {
      if (auto synced = SegmentFiles::sync_data(written); !synced) return failed(synced.error());
    }
  }

  const std::chrono::sys_seconds t = impl_->now();
  auto transaction = impl_->begin_write(Impl::Commit::relaxed);
  if (!transaction) return failed(std::move(transaction).error());
  if (auto done = impl_->write_touches(); !done) return failed(done.error());
  std::uint64_t added = 0;
  for (const Target& target : targets) {
    if (target.writes.empty()) continue;
    const bool was_empty = target.row.present.count() == 0;
    const ResetOnExit reset(impl_->update_presence);
    impl_->update_presence.bind(1, target.row.id)
        .bind(2, target.present.bytes())
        .bind(3, std::int64_t{target.present.count()})
        .bind(4, static_cast<std::int64_t>(target.row.bytes_present + target.added))
        .bind(5, seconds_of(was_empty ? t : target.row.first_cached))
        .bind(6, seconds_of(t))
        .bind(7, std::int64_t{sync_now ? 0 : 1});
    if (auto done = impl_->update_presence.run(); !done) return failed(done.error());
    added += target.added;
  }
  if (auto committed = impl_->commit(*transaction); !committed) return failed(committed.error());
  impl_->touches_committed();
  impl_->bytes_total += added;

  if (impl_->bytes_total > impl_->effective_max_bytes) {
    if (auto evicted = impl_->evict(); !evicted) {
      return Unexpected(impl_->fail(std::move(evicted).error(), "cannot evict"));
    }
  }
  return {};
}

// --- read_block ---

Expected<std::optional<std::vector<std::uint8_t>>, StoreError> DataCache::read_block(
    const crypto::Digest& segment_id, pccrc::BlockIndex index,
    std::optional<SegmentPresence>* presence) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot read block";
  using Result = std::optional<std::vector<std::uint8_t>>;
  auto row = impl_->find_row(segment_id);
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
  if (presence != nullptr) {
    *presence = row->has_value() ? std::optional<SegmentPresence>{presence_of(**row)}
                                 : std::optional<SegmentPresence>{};
  }
  if (!row->has_value()) return Result{};
  const Row& r = **row;
  const std::uint32_t i = index.value();
  if (i >= r.geometry.block_count() || !r.present.test(i)) return Result{};

  auto bytes =
      impl_->files.read(segment_id, r.geometry.block_offset(i), r.geometry.block_length(i));
  if (!bytes) return Unexpected(impl_->fail(std::move(bytes).error(), kOperation));
  if (!bytes->has_value()) {
    if (auto forgotten = impl_->forget_missing(r); !forgotten) {
      return Unexpected(impl_->fail(forgotten.error(), kOperation));
    }
    return Result{};
  }

  const std::chrono::sys_seconds t = impl_->now();
  std::int64_t& used = impl_->pending_touches[r.id];
  used = std::max(used, seconds_of(t));
  if (t - impl_->touches_written >= kTouchWriteInterval || t < impl_->touches_written) {
    // Not worth failing a read over: the uses stay pending for the next write.
    (void)impl_->write_touches_now();
  }
  return bytes;
}

// --- segment ---

Expected<std::optional<SegmentState>, StoreError> DataCache::segment(
    const crypto::Digest& segment_id) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot read segment";
  auto select = Statement::prepare(impl_->db, sql::kSelectRowAndDescriptor);
  if (!select) return Unexpected(impl_->fail(std::move(select).error(), kOperation));
  select->bind(1, segment_id.bytes());
  auto found = select->step();
  if (!found) return Unexpected(impl_->fail(std::move(found).error(), kOperation));
  if (!*found) return std::optional<SegmentState>{};
  auto row = cache_record::decode_row(raw_row(*select));
  if (!row) return Unexpected(impl_->fail(corrupt_row(segment_id, row.error()), kOperation));
  auto descriptor = cache_record::decode_descriptor(select->column_blob(10));
  if (!descriptor) {
    return Unexpected(impl_->fail(corrupt_row(segment_id, descriptor.error()), kOperation));
  }
  if (!cache_record::matches(*row, *descriptor)) {
    return Unexpected(
        impl_->fail(corrupt_row(segment_id, {"descriptor", 0, "does not match the row's columns"}),
                    kOperation));
  }
  SegmentState state;
  state.descriptor = std::move(*descriptor);
  state.present = row->present.to_bools();
  state.present_count = row->present.count();
  state.first_cached = row->first_cached;
  state.last_used = row->last_used;
  state.unsynced = select->column_int64(11) != 0;
  if (const auto pending = impl_->pending_touches.find(row->id);
      pending != impl_->pending_touches.end()) {
    state.last_used =
        std::max(state.last_used, std::chrono::sys_seconds{std::chrono::seconds{pending->second}});
  }
  return std::optional<SegmentState>{std::move(state)};
}

// --- presence ---

void SegmentPresence::set(std::uint32_t index) noexcept {
  if (index >= blocks || test(index)) return;
  bitmap[index / 8U] = static_cast<std::uint8_t>(bitmap[index / 8U] | (1U << (index % 8U)));
  ++present_count;
}

std::optional<std::uint32_t> SegmentPresence::next_present(std::uint32_t from,
                                                           std::uint32_t end) const noexcept {
  end = std::min(end, blocks);
  std::uint32_t i = from;
  while (i < end) {
    const std::uint8_t byte = bitmap[i / 8U];
    if ((byte >> (i % 8U)) == 0) {
      i = (i / 8U + 1U) * 8U;  // nothing from i to the end of this byte
      continue;
    }
    if ((byte & (1U << (i % 8U))) != 0) return i;
    ++i;
  }
  return std::nullopt;
}

std::vector<bool> SegmentPresence::to_bools() const {
  std::vector<bool> out(blocks);
  for (std::uint32_t i = 0; i < blocks; ++i) out[i] = test(i);
  return out;
}

Expected<std::optional<SegmentPresence>, StoreError> DataCache::presence(
    const crypto::Digest& segment_id) {
  if (!impl_) return Unexpected(closed_error());
  auto row = impl_->find_row(segment_id);
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), "cannot read segment"));
  if (!row->has_value()) return std::optional<SegmentPresence>{};
  return std::optional<SegmentPresence>{presence_of(**row)};
}

// --- flush, clear, evict, usage ---

Expected<std::uint64_t, StoreError> DataCache::flush(const ContentTag& tag) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot flush content tag";
  const auto failed = [&](StoreError e) {
    return Unexpected(impl_->fail(std::move(e), kOperation));
  };
  const std::span<const std::uint8_t> tag_bytes(tag);
  auto transaction = impl_->begin_write(Impl::Commit::relaxed);
  if (!transaction) return failed(std::move(transaction).error());
  std::vector<Victim> victims;
  {
    auto select = Statement::prepare(impl_->db, sql::kOnlyLabelledBy);
    if (!select) return failed(std::move(select).error());
    select->bind(1, tag_bytes);
    auto selected = select_victims(*select);
    if (!selected) return failed(std::move(selected).error());
    victims = std::move(*selected);
  }
  {
    auto unlabel = Statement::prepare(impl_->db, sql::kDeleteTag);
    if (!unlabel) return failed(std::move(unlabel).error());
    unlabel->bind(1, tag_bytes);
    if (auto done = unlabel->run(); !done) return failed(done.error());
  }
  if (auto done = impl_->delete_rows(victims); !done) return failed(done.error());
  if (auto committed = impl_->commit(*transaction); !committed) return failed(committed.error());
  impl_->forget_victims(victims);
  return victims.size();
}

Expected<void, StoreError> DataCache::clear() {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot clear";
  // Durable: the files of every segment go after it, and no deletion set could name them all.
  auto transaction = impl_->begin_write(Impl::Commit::durable);
  if (!transaction) return Unexpected(impl_->fail(std::move(transaction).error(), kOperation));
  if (auto done = impl_->db.exec(sql::kDeleteEverything); !done) {
    return Unexpected(impl_->fail(done.error(), kOperation));
  }
  if (auto committed = impl_->commit(*transaction); !committed) {
    return Unexpected(impl_->fail(committed.error(), kOperation));
  }
  impl_->pending_touches.clear();
  impl_->bytes_total = 0;
  // Files left behind by a failure here have no row: the next open() removes them.
  if (auto removed = impl_->files.remove_all(); !removed) {
    return Unexpected(impl_->fail(removed.error(), kOperation));
  }
  return {};
}

Expected<std::uint64_t, StoreError> DataCache::evict() {
  if (!impl_) return Unexpected(closed_error());
  auto evicted = impl_->evict();
  if (!evicted) return Unexpected(impl_->fail(std::move(evicted).error(), "cannot evict"));
  return evicted;
}

Expected<std::uint64_t, StoreError> DataCache::checkpoint() {
  if (!impl_) return Unexpected(closed_error());
  auto synced = impl_->checkpoint(false);
  if (!synced) return Unexpected(impl_->fail(std::move(synced).error(), "cannot checkpoint"));
  return synced;
}

Expected<CacheUsage, StoreError> DataCache::usage() {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot measure usage";
  auto query = Statement::prepare(impl_->db, sql::kUsage);
  if (!query) return Unexpected(impl_->fail(std::move(query).error(), kOperation));
  auto row = query->step();
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
  if (!*row) return Unexpected(impl_->fail({StoreErrc::database_error, "no row"}, kOperation));
  const auto count = [&](int column) {
    const std::int64_t v = query->column_int64(column);
    return v < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(v);
  };
  CacheUsage usage;
  usage.segments = count(0);
  usage.complete_segments = count(1);
  usage.blocks = count(2);
  usage.bytes = count(3);
  if (!query->column_is_null(4)) {
    usage.oldest = std::chrono::sys_seconds{std::chrono::seconds{query->column_int64(4)}};
  }
  usage.unsynced_segments = count(5);
  usage.max_bytes = impl_->effective_max_bytes;
  usage.max_age = impl_->limits.max_age;
  return usage;
}

}  // namespace peerdist::store
