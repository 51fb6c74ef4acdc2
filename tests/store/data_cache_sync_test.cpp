// The data cache's sync policies: checkpoint mode marks what put_blocks writes unsynced until
// checkpoint() (or close) syncs it; every_batch syncs before each commit. After a crash of the
// writing process (same boot ID) nothing is lost; after an OS crash or power cut (a new boot ID
// and no clean shutdown) the unsynced segments lose their blocks and nothing else does. The
// crashes are real: a child process writes and kills itself with SIGKILL; the OS crash is
// simulated by changing the boot ID file the cache reads and by wiping what the lost page cache
// held. Also: deletions made by relaxed commits are made durable before a file is made again,
// and a cache of schema 1 is migrated.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "peerdist/store/data_cache.hpp"

#include "data_cache_fixtures.hpp"
#include "sqlite.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::store {
namespace {

namespace fs = std::filesystem;
using pccrc::BlockIndex;
using test::Bytes;
using test::CachedContent;
using namespace std::chrono_literals;

constexpr CacheLimits kRoomy{std::uint64_t{1} << 30U, std::chrono::hours(24 * 28)};

// One V1 segment of 100,000 bytes (two blocks) per seed.
const CachedContent& small_v1(std::uint64_t seed) {
  static std::map<std::uint64_t, CachedContent> contents;
  auto it = contents.find(seed);
  if (it == contents.end()) it = contents.emplace(seed, test::make_content(100000, seed)).first;
  return it->second;
}

// Several V2 segments.
const CachedContent& v2_content() {
  static const CachedContent content = test::make_content(600000, 2, pccrc::HashScheme::v2());
  return content;
}

class DataCacheSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Built before any fork: the child must not build (or allocate statics) on its own.
    (void)small_v1(1);
    (void)small_v1(2);
    (void)small_v1(3);
    (void)v2_content();
    set_boot_id("11111111-2222-3333-4444-555555555555");
  }

  [[nodiscard]] fs::path dir() const { return tmp_.path() / "cache"; }
  [[nodiscard]] fs::path boot_id_file() const { return tmp_.path() / "boot_id"; }
  void set_boot_id(const std::string& id) const { std::ofstream(boot_id_file()) << id << "\n"; }

  [[nodiscard]] DataCacheOptions options(SyncPolicy policy = SyncPolicy::checkpoint) const {
    DataCacheOptions o;
    o.sync_policy = policy;
    o.boot_id_file = boot_id_file();
    return o;
  }

  DataCache open(SyncPolicy policy = SyncPolicy::checkpoint, CacheLimits limits = kRoomy) {
    auto opened = DataCache::open(dir(), limits, options(policy));
    EXPECT_TRUE(opened) << opened.error().message;
    if (!opened) throw std::runtime_error("cannot open the cache");
    return std::move(*opened);
  }

  // Runs `work` on a cache opened in a child process, which then kills itself with SIGKILL:
  // no destructor runs, so no checkpoint and no clean shutdown. Fails the test if `work` fails.
  void crash_after(const std::function<bool(DataCache&)>& work,
                   SyncPolicy policy = SyncPolicy::checkpoint) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // No gtest assertions in the child: it reports through its exit status only.
      auto cache = DataCache::open(dir(), kRoomy, options(policy));
      if (!cache || !work(*cache)) _exit(3);
      ::raise(SIGKILL);
      _exit(4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child failed before its crash, status " << status;
  }

  // What a lost page cache leaves of a file whose bytes never reached the disk: the same size,
  // other bytes (zeros stand for whatever the disk held).
  static void wipe(const fs::path& file) {
    const auto size = fs::file_size(file);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    const std::string zeros(size, '\0');
    out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }

  [[nodiscard]] std::int64_t raw_int(const std::string& sql) const {
    const auto raw = test::open_raw(dir() / DataCache::kDatabaseFileName);
    return test::query_int(raw, sql);
  }

  static std::optional<SegmentState> state(DataCache& cache, const crypto::Digest& id) {
    auto s = cache.segment(id);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::nullopt;
  }
  static std::optional<Bytes> read(DataCache& cache, const crypto::Digest& id,
                                   std::uint32_t index) {
    auto bytes = cache.read_block(id, BlockIndex{index});
    EXPECT_TRUE(bytes) << bytes.error().message;
    return bytes ? *bytes : std::nullopt;
  }
  static void expect_all_readable(DataCache& cache, const CachedContent& content) {
    for (std::size_t s = 0; s < content.segments.size(); ++s) {
      for (std::uint32_t i = 0; i < content.segments[s].block_count(); ++i) {
        EXPECT_EQ(read(cache, content.id(s), i), content.block_bytes(s, i))
            << "segment " << s << " block " << i;
      }
    }
  }
  static bool store(DataCache& cache, const CachedContent& content) {
    return cache.describe(content.segments, std::nullopt) && cache.put_blocks(content.all_blocks());
  }

  // The child's work in the crash tests: small_v1(1) stored and checkpointed; small_v1(2) and
  // the V2 content stored after the checkpoint; small_v1(3) has block 0 checkpointed and block 1
  // stored after.
  static bool checkpointed_then_more(DataCache& cache) {
    const CachedContent& mixed = small_v1(3);
    return store(cache, small_v1(1)) && cache.describe(mixed.segments, std::nullopt) &&
           cache.put_blocks(std::vector{mixed.block(0, 0)}) && cache.checkpoint() &&
           store(cache, small_v1(2)) && store(cache, v2_content()) &&
           cache.put_blocks(std::vector{mixed.block(0, 1)});
  }

 private:
  peerdist::test::TempDir tmp_;
};

TEST_F(DataCacheSyncTest, PutMarksSegmentsUnsyncedAndACheckpointSyncsThem) {
  DataCache cache = open();
  ASSERT_TRUE(store(cache, small_v1(1)));
  ASSERT_TRUE(store(cache, v2_content()));
  const std::uint64_t written = 1 + v2_content().segments.size();
  EXPECT_TRUE(state(cache, small_v1(1).id(0))->unsynced);
  EXPECT_TRUE(state(cache, v2_content().id(0))->unsynced);
  EXPECT_EQ(cache.usage()->unsynced_segments, written);
  EXPECT_EQ(raw_int("SELECT count(*) FROM segments WHERE unsynced = 1"),
            static_cast<std::int64_t>(written));

  auto synced = cache.checkpoint();
  ASSERT_TRUE(synced) << synced.error().message;
  EXPECT_EQ(*synced, written);
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
  EXPECT_FALSE(state(cache, v2_content().id(0))->unsynced);
  EXPECT_EQ(cache.usage()->unsynced_segments, 0U);
  EXPECT_EQ(raw_int("SELECT count(*) FROM segments WHERE unsynced = 1"), 0);
  expect_all_readable(cache, small_v1(1));
  expect_all_readable(cache, v2_content());

  // Nothing left: a checkpoint syncs nothing and commits nothing.
  const std::int64_t syncs = raw_int("SELECT syncs FROM last_open");
  synced = cache.checkpoint();
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 0U);
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs);

  // A block added to a synced segment makes it unsynced again.
  ASSERT_TRUE(cache.describe(small_v1(2).segments, std::nullopt));
  ASSERT_TRUE(cache.put_blocks(std::vector{small_v1(2).block(0, 1)}));
  EXPECT_TRUE(state(cache, small_v1(2).id(0))->unsynced);
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
  synced = cache.checkpoint();
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 1U);
}

TEST_F(DataCacheSyncTest, EveryBatchModeLeavesNothingUnsynced) {
  DataCache cache = open(SyncPolicy::every_batch);
  ASSERT_TRUE(store(cache, small_v1(1)));
  ASSERT_TRUE(store(cache, v2_content()));
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
  EXPECT_EQ(cache.usage()->unsynced_segments, 0U);
  auto synced = cache.checkpoint();
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 0U);
}

TEST_F(DataCacheSyncTest, AnEveryBatchPutSyncsWhatACheckpointModePutLeftInTheSameFile) {
  // Block 0 stored unsynced by a process that crashed; block 1 by an every_batch cache, whose
  // fdatasync covers the whole file.
  ASSERT_NO_FATAL_FAILURE(crash_after([](DataCache& cache) {
    return cache.describe(small_v1(1).segments, std::nullopt) &&
           cache.put_blocks(std::vector{small_v1(1).block(0, 0)});
  }));
  DataCache cache = open(SyncPolicy::every_batch);
  EXPECT_FALSE(cache.open_report().rebooted);
  EXPECT_TRUE(state(cache, small_v1(1).id(0))->unsynced);
  ASSERT_TRUE(cache.put_blocks(std::vector{small_v1(1).block(0, 1)}));
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
  expect_all_readable(cache, small_v1(1));
}

TEST_F(DataCacheSyncTest, CloseCheckpointsAndRecordsACleanShutdown) {
  {
    DataCache cache = open();
    EXPECT_EQ(raw_int("SELECT clean_shutdown FROM last_open"), 0) << "open: not yet clean";
    ASSERT_TRUE(store(cache, small_v1(1)));
    ASSERT_TRUE(store(cache, v2_content()));
  }
  EXPECT_EQ(raw_int("SELECT clean_shutdown FROM last_open"), 1);
  EXPECT_EQ(raw_int("SELECT count(*) FROM segments WHERE unsynced = 1"), 0);

  DataCache cache = open();
  EXPECT_EQ(cache.open_report(), (DataCacheOpenReport{true, false, 0, 0, 0}));
  expect_all_readable(cache, small_v1(1));
  expect_all_readable(cache, v2_content());
}

TEST_F(DataCacheSyncTest, AfterAProcessCrashEveryBlockIsStillThere) {
  ASSERT_NO_FATAL_FAILURE(crash_after(checkpointed_then_more));
  // The same boot: the page cache still holds every write of the dead process.
  DataCache cache = open();
  EXPECT_EQ(cache.open_report(), (DataCacheOpenReport{false, false, 0, 0, 0}));
  for (const std::uint64_t seed : {1U, 2U, 3U}) expect_all_readable(cache, small_v1(seed));
  expect_all_readable(cache, v2_content());
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
  EXPECT_TRUE(state(cache, small_v1(2).id(0))->unsynced);
  EXPECT_TRUE(state(cache, small_v1(3).id(0))->unsynced);
  // Still unsynced: the next checkpoint syncs them.
  auto synced = cache.checkpoint();
  ASSERT_TRUE(synced) << synced.error().message;
  EXPECT_EQ(*synced, 2U + v2_content().segments.size());
}

TEST_F(DataCacheSyncTest, AfterAnOsCrashTheUnsyncedSegmentsLoseTheirBlocksAndNoOthers) {
  ASSERT_NO_FATAL_FAILURE(crash_after(checkpointed_then_more));
  // The OS crashed: a new boot, and what was only in the page cache never reached the disk.
  set_boot_id("99999999-2222-3333-4444-555555555555");
  wipe(test::segment_file(dir(), small_v1(2).id(0)));
  for (std::size_t s = 0; s < v2_content().segments.size(); ++s) {
    wipe(test::segment_file(dir(), v2_content().id(s)));
  }

  DataCache cache = open();
  const DataCacheOpenReport& report = cache.open_report();
  EXPECT_FALSE(report.previous_shutdown_clean);
  EXPECT_TRUE(report.rebooted);
  EXPECT_EQ(report.dropped_segments, 2U + v2_content().segments.size());
  EXPECT_EQ(report.dropped_blocks, 2U + 2U + v2_content().segments.size());
  EXPECT_EQ(report.dropped_bytes, 200000U + v2_content().bytes.size());

  // Synced before the crash: kept.
  expect_all_readable(cache, small_v1(1));
  // Unsynced: described still, no block served (whatever the file holds).
  for (const crypto::Digest& id : {small_v1(2).id(0), v2_content().id(0), small_v1(3).id(0)}) {
    const auto s = state(cache, id);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->present_count, 0U);
    EXPECT_FALSE(s->unsynced);
    EXPECT_EQ(read(cache, id, 0), std::nullopt);
  }
  // Block 0 of small_v1(3) was synced, but its segment had unsynced blocks: the unit of loss
  // is the segment.
  EXPECT_EQ(read(cache, small_v1(3).id(0), 1), std::nullopt);
  const auto usage = cache.usage();
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->bytes, 100000U);
  EXPECT_EQ(usage->blocks, 2U);
  EXPECT_EQ(usage->unsynced_segments, 0U);

  // They come again.
  ASSERT_TRUE(cache.put_blocks(small_v1(2).all_blocks()));
  ASSERT_TRUE(cache.put_blocks(v2_content().all_blocks()));
  expect_all_readable(cache, small_v1(2));
  expect_all_readable(cache, v2_content());
}

TEST_F(DataCacheSyncTest, AfterACleanShutdownARebootDropsNothing) {
  {
    DataCache cache = open();
    ASSERT_TRUE(store(cache, small_v1(1)));
  }
  set_boot_id("99999999-2222-3333-4444-555555555555");
  DataCache cache = open();
  EXPECT_EQ(cache.open_report(), (DataCacheOpenReport{true, true, 0, 0, 0}));
  expect_all_readable(cache, small_v1(1));
}

TEST_F(DataCacheSyncTest, ABootIdThatCannotBeReadCountsAsAReboot) {
  ASSERT_NO_FATAL_FAILURE(crash_after([](DataCache& cache) { return store(cache, small_v1(1)); }));
  fs::remove(boot_id_file());
  DataCache cache = open();
  EXPECT_TRUE(cache.open_report().rebooted);
  EXPECT_EQ(cache.open_report().dropped_segments, 1U);
  EXPECT_EQ(read(cache, small_v1(1).id(0), 0), std::nullopt);
}

TEST_F(DataCacheSyncTest, AReadBootIdIsRecordedAtOpen) {
  { DataCache cache = open(); }
  const auto raw = test::open_raw(dir() / DataCache::kDatabaseFileName);
  auto boot = sqlite::Statement::prepare(raw, "SELECT boot_id FROM last_open");
  ASSERT_TRUE(boot && *boot->step());
  EXPECT_EQ(boot->column_text(0), "11111111-2222-3333-4444-555555555555");
}

TEST_F(DataCacheSyncTest, AnEvictedSegmentsFileIsMadeAgainOnlyAfterItsDeletionIsDurable) {
  // Room for two segments of 100,000 bytes.
  DataCache cache = open(SyncPolicy::checkpoint, {250000, 24h * 28});
  ASSERT_TRUE(store(cache, small_v1(1)));
  ASSERT_TRUE(store(cache, small_v1(2)));
  ASSERT_TRUE(cache.checkpoint());
  const std::int64_t syncs = raw_int("SELECT syncs FROM last_open");

  // Storing a third evicts the first, in a relaxed commit: no sync.
  ASSERT_TRUE(store(cache, small_v1(3)));
  ASSERT_FALSE(state(cache, small_v1(1).id(0)));
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs);

  // Storing the first again (which evicts the second) creates its file again: its deletion is
  // made durable first (one durable commit), then the puts go on relaxed.
  ASSERT_TRUE(store(cache, small_v1(1)));
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs + 1);
  expect_all_readable(cache, small_v1(1));
  // The second's deletion is not durable, and storing the third (already there) makes no file.
  ASSERT_TRUE(cache.put_blocks(small_v1(3).all_blocks()));
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs + 1);

  // A flushed segment is the same.
  ASSERT_TRUE(cache.describe(small_v1(2).segments, test::tag_of(1)));
  ASSERT_TRUE(cache.put_blocks(small_v1(2).all_blocks()));  // after the deletion by eviction
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs + 2);
  auto flushed = cache.flush(test::tag_of(1));
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 1U);
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs + 2);
  ASSERT_TRUE(store(cache, small_v1(2)));
  EXPECT_EQ(raw_int("SELECT syncs FROM last_open"), syncs + 3);
  expect_all_readable(cache, small_v1(2));
}

TEST_F(DataCacheSyncTest, ACacheOfSchemaOneIsMigrated) {
  {
    DataCache cache = open();
    ASSERT_TRUE(store(cache, small_v1(1)));
  }
  {
    // Back to what schema 1 wrote.
    const auto raw = test::open_raw(dir() / DataCache::kDatabaseFileName);
    test::exec_raw(raw,
                   "DROP INDEX segments_unsynced; DROP TABLE last_open; "
                   "ALTER TABLE segments DROP COLUMN unsynced; PRAGMA user_version = 1;");
  }
  DataCache cache = open();
  EXPECT_EQ(raw_int("PRAGMA user_version"), DataCache::kSchemaVersion);
  // No record of a previous run: counted as a reboot, and nothing was unsynced.
  EXPECT_EQ(cache.open_report(), (DataCacheOpenReport{true, true, 0, 0, 0}));
  expect_all_readable(cache, small_v1(1));
  EXPECT_FALSE(state(cache, small_v1(1).id(0))->unsynced);
}

}  // namespace
}  // namespace peerdist::store
