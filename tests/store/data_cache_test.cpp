// The data cache: describe, put and read back (V1 and V2), what it refuses, limits and
// eviction (size, age, LRU order, with an injected clock), tags and flush, clear, the
// reconcile of files and rows at open, corrupt and foreign database files, the directory lock,
// persistence across reopen and the usage numbers. Every test runs under both sync policies
// (data_cache_sync_test.cpp tests what tells them apart).
#include "peerdist/store/data_cache.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <optional>

#include "peerdist/store/catalog.hpp"

#include "data_cache_fixtures.hpp"
#include "sqlite.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

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

// One V1 segment of five blocks, the last one short.
const CachedContent& v1_content() {
  static const CachedContent content = test::make_content(300000, 1);
  return content;
}

const CachedContent& v2_content() {
  static const CachedContent content = test::make_content(600000, 2, pccrc::HashScheme::v2());
  return content;
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777U;
}

class DataCacheTest : public ::testing::TestWithParam<SyncPolicy> {
 protected:
  [[nodiscard]] fs::path dir() const { return tmp_.path() / "state" / "cache"; }
  [[nodiscard]] fs::path db_file() const { return dir() / DataCache::kDatabaseFileName; }

  // Opens (or reopens) the cache with the test's clock.
  void open(CacheLimits limits = kRoomy, DataCacheOptions options = {}) {
    cache_.reset();
    if (!options.clock) options.clock = clock_.options().clock;
    options.sync_policy = GetParam();
    auto opened = DataCache::open(dir(), limits, options);
    ASSERT_TRUE(opened) << opened.error().message;
    cache_.emplace(std::move(*opened));
  }
  void close() { cache_.reset(); }
  DataCache& cache() { return *cache_; }

  void describe(const CachedContent& content, const std::optional<ContentTag>& tag = {}) {
    auto done = cache().describe(content.segments, tag);
    ASSERT_TRUE(done) << done.error().message;
  }
  void put(const std::vector<pccrc::VerifiedBlock>& blocks) {
    auto done = cache().put_blocks(blocks);
    ASSERT_TRUE(done) << done.error().message;
  }
  // Describes and stores every block of a content.
  void store(const CachedContent& content, const std::optional<ContentTag>& tag = {}) {
    ASSERT_NO_FATAL_FAILURE(describe(content, tag));
    ASSERT_NO_FATAL_FAILURE(put(content.all_blocks()));
  }
  std::optional<Bytes> read(const crypto::Digest& id, std::uint32_t index) {
    auto bytes = cache().read_block(id, BlockIndex{index});
    EXPECT_TRUE(bytes) << bytes.error().message;
    return bytes ? *bytes : std::nullopt;
  }
  // Every block of the content reads back byte for byte.
  void expect_all_readable(const CachedContent& content) {
    for (std::size_t s = 0; s < content.segments.size(); ++s) {
      for (std::uint32_t i = 0; i < content.segments[s].block_count(); ++i) {
        EXPECT_EQ(read(content.id(s), i), content.block_bytes(s, i))
            << "segment " << s << " block " << i;
      }
    }
  }
  std::optional<SegmentState> state(const crypto::Digest& id) {
    auto s = cache().segment(id);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::nullopt;
  }
  CacheUsage usage() {
    auto u = cache().usage();
    EXPECT_TRUE(u) << u.error().message;
    return u ? *u : CacheUsage{};
  }

  test::ManualClock clock_;

 private:
  peerdist::test::TempDir tmp_;
  std::optional<DataCache> cache_;
};

// --- Layout ---

TEST_P(DataCacheTest, CreatesAPrivateDirectoryAndDatabaseWithTheCurrentSchema) {
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(cache().dir(), dir());
  EXPECT_FALSE(cache().moved_aside());
  EXPECT_EQ(mode_of(dir()), 0700U);
  EXPECT_EQ(mode_of(dir() / DataCache::kSegmentsDirName), 0700U);
  EXPECT_EQ(mode_of(db_file()), 0600U);
  const auto raw = test::open_raw(db_file());
  EXPECT_EQ(test::query_int(raw, "PRAGMA application_id"), 0x50444443);
  EXPECT_EQ(test::query_int(raw, "PRAGMA user_version"), DataCache::kSchemaVersion);
  auto mode = sqlite::Statement::prepare(raw, "PRAGMA journal_mode");
  ASSERT_TRUE(mode && *mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
}

TEST_P(DataCacheTest, AnExistingDirectoryIsMadePrivate) {
  fs::create_directories(dir());
  fs::permissions(dir(), fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(mode_of(dir()), 0700U);
}

TEST_P(DataCacheTest, BlocksGoToOneFilePerSegmentAtTheirOffsets) {
  const CachedContent& content = v1_content();
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(content));
  const fs::path file = test::segment_file(dir(), content.id(0));
  EXPECT_EQ(test::segment_files(dir()),
            std::vector<fs::path>{fs::relative(file, dir() / DataCache::kSegmentsDirName)});
  EXPECT_EQ(mode_of(file), 0600U);
  EXPECT_EQ(mode_of(file.parent_path()), 0700U);
  // The content's only segment is the whole content: the file is the content.
  EXPECT_EQ(peerdist::test::read_file(file.string()), content.bytes);
}

// --- describe, put_blocks, read_block ---

TEST_P(DataCacheTest, V1BlocksReadBackByteForByte) {
  const CachedContent& content = v1_content();
  ASSERT_EQ(content.segments.size(), 1U);
  ASSERT_EQ(content.segments[0].block_count(), 5U);
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(describe(content));
  EXPECT_EQ(read(content.id(0), 0), std::nullopt);  // described, nothing present
  // Blocks in any order, in two batches.
  ASSERT_NO_FATAL_FAILURE(put({content.block(0, 4), content.block(0, 1)}));
  EXPECT_EQ(read(content.id(0), 4), content.block_bytes(0, 4));
  EXPECT_EQ(read(content.id(0), 1), content.block_bytes(0, 1));
  EXPECT_EQ(read(content.id(0), 0), std::nullopt);
  ASSERT_NO_FATAL_FAILURE(put({content.block(0, 0), content.block(0, 2), content.block(0, 3)}));
  expect_all_readable(content);
  EXPECT_EQ(read(content.id(0), 5), std::nullopt);       // past the end
  EXPECT_EQ(read(v2_content().id(0), 0), std::nullopt);  // never described
}

TEST_P(DataCacheTest, V2SegmentsOfOneBatchReadBack) {
  const CachedContent& content = v2_content();
  ASSERT_GE(content.segments.size(), 4U);
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(content));
  expect_all_readable(content);
  EXPECT_EQ(test::segment_files(dir()).size(), content.segments.size());
  const auto u = usage();
  EXPECT_EQ(u.bytes, content.bytes.size());
  EXPECT_EQ(u.segments, content.segments.size());
  EXPECT_EQ(u.complete_segments, content.segments.size());
  EXPECT_EQ(u.blocks, content.segments.size());
}

TEST_P(DataCacheTest, ABlockOfASegmentNotDescribedIsRefusedAndNothingIsWritten) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(describe(v1_content()));
  // One good block and one of an undescribed segment: the whole batch is refused.
  const auto refused =
      cache().put_blocks(std::vector{v1_content().block(0, 0), v2_content().block(0, 0)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, StoreErrc::invalid_argument);
  EXPECT_TRUE(test::segment_files(dir()).empty());
  EXPECT_EQ(read(v1_content().id(0), 0), std::nullopt);
  EXPECT_EQ(usage().bytes, 0U);
}

TEST_P(DataCacheTest, BlocksAlreadyPresentAreSkipped) {
  const CachedContent& content = v1_content();
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(describe(content));
  ASSERT_NO_FATAL_FAILURE(put({content.block(0, 0), content.block(0, 0)}));  // twice in a batch
  ASSERT_NO_FATAL_FAILURE(put({content.block(0, 0), content.block(0, 1)}));
  const auto u = usage();
  EXPECT_EQ(u.blocks, 2U);
  EXPECT_EQ(u.bytes, 2U * 65536U);
  const auto s = state(content.id(0));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->present_count, 2U);
  EXPECT_EQ(s->present, (std::vector<bool>{true, true, false, false, false}));
  EXPECT_FALSE(s->complete());
}

TEST_P(DataCacheTest, DescribeRefusesInconsistentDescriptorsAndBatchesAreAllOrNothing) {
  ASSERT_NO_FATAL_FAILURE(open());
  const pccrc::SegmentDescriptor good = small_v1(10).segments[0];
  const auto refused = [&](pccrc::SegmentDescriptor d) {
    auto r = cache().describe(d, std::nullopt);
    return !r && r.error().code == StoreErrc::invalid_argument;
  };
  pccrc::SegmentDescriptor wrong_id = good;
  wrong_id.segment_id = small_v1(11).segments[0].segment_id;
  EXPECT_TRUE(refused(wrong_id));
  pccrc::SegmentDescriptor wrong_hash = good;  // a complete list that does not hash to HoD
  wrong_hash.block_hashes[1] = wrong_hash.block_hashes[0];
  EXPECT_TRUE(refused(wrong_hash));
  pccrc::SegmentDescriptor malformed = good;
  malformed.block_size = 4096;
  EXPECT_TRUE(refused(malformed));

  const std::vector<pccrc::SegmentDescriptor> batch{small_v1(12).segments[0], wrong_id};
  EXPECT_FALSE(cache().describe(batch, test::tag_of(1)));
  EXPECT_FALSE(state(small_v1(12).id(0)));
  EXPECT_EQ(usage().segments, 0U);
}

TEST_P(DataCacheTest, DescriptorsOfOneSegmentMergeAndConflictsAreRefused) {
  const CachedContent& content = v1_content();
  const pccrc::SegmentDescriptor whole = content.segments[0];
  pccrc::SegmentDescriptor first = whole;  // a range CI listing blocks 0..1
  pccrc::SegmentDescriptor last = whole;   // and one listing 3..4
  for (std::size_t i = 2; i < 5; ++i) first.block_hashes[i] = {};
  for (std::size_t i = 0; i < 3; ++i) last.block_hashes[i] = {};
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_TRUE(cache().describe(first, std::nullopt));
  // Not known yet: a block verified against another descriptor of the segment is still stored
  // (verification is the caller's), and the descriptor learns what later CIs list.
  ASSERT_TRUE(cache().describe(last, std::nullopt));
  auto s = state(content.id(0));
  ASSERT_TRUE(s);
  pccrc::SegmentDescriptor expected = first;
  ASSERT_TRUE(expected.merge(last));
  EXPECT_EQ(s->descriptor, expected);
  EXPECT_FALSE(s->descriptor.knows_block(BlockIndex{2}));
  ASSERT_TRUE(cache().describe(whole, std::nullopt));
  EXPECT_EQ(state(content.id(0))->descriptor, whole);

  pccrc::SegmentDescriptor conflicting = last;
  conflicting.block_hashes[3] = conflicting.block_hashes[4];
  const auto refused = cache().describe(conflicting, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, StoreErrc::invalid_argument);
  EXPECT_EQ(state(content.id(0))->descriptor, whole);
}

TEST_P(DataCacheTest, SegmentStateHasItsDescriptorPresenceAndTimes) {
  const CachedContent& content = v1_content();
  ASSERT_NO_FATAL_FAILURE(open());
  const auto described_at = clock_.now();
  ASSERT_NO_FATAL_FAILURE(describe(content));
  auto s = state(content.id(0));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->descriptor, content.segments[0]);
  EXPECT_EQ(s->present, std::vector<bool>(5, false));
  EXPECT_EQ(s->present_count, 0U);
  EXPECT_EQ(s->first_cached, described_at);
  EXPECT_EQ(s->last_used, described_at);

  // The first block resets the age (the segment waited a day for its blocks).
  clock_.advance(24h);
  const auto filled_at = clock_.now();
  ASSERT_NO_FATAL_FAILURE(put(content.blocks_of(0)));
  s = state(content.id(0));
  EXPECT_EQ(s->first_cached, filled_at);
  EXPECT_EQ(s->last_used, filled_at);
  EXPECT_TRUE(s->complete());

  // A read marks the segment used; the time is written later but shows at once.
  clock_.advance(10s);
  ASSERT_TRUE(read(content.id(0), 2));
  s = state(content.id(0));
  EXPECT_EQ(s->first_cached, filled_at);
  EXPECT_EQ(s->last_used, filled_at + 10s);
  // And survives closing the cache.
  close();
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(state(content.id(0))->last_used, filled_at + 10s);
  EXPECT_FALSE(state(v2_content().id(0)));
}

TEST_P(DataCacheTest, PresenceAgreesWithTheSegmentStateWithoutItsDescriptor) {
  const CachedContent& content = v1_content();  // five blocks, the last one short
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_FALSE(*cache().presence(content.id(0)));
  ASSERT_NO_FATAL_FAILURE(describe(content));
  const auto described_at = clock_.now();
  auto p = cache().presence(content.id(0));
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->blocks, 5U);
  EXPECT_EQ((*p)->present_count, 0U);
  EXPECT_EQ((*p)->to_bools(), std::vector<bool>(5, false));
  EXPECT_EQ((*p)->first_cached, described_at);
  EXPECT_FALSE((*p)->next_present(0, 5));

  // Blocks 1 and 4 (the short one), put as shared blocks: no copy, the same store.
  const auto blocks = content.blocks_of(0);
  const std::vector<std::shared_ptr<const pccrc::VerifiedBlock>> shared{
      std::make_shared<const pccrc::VerifiedBlock>(blocks[1]),
      std::make_shared<const pccrc::VerifiedBlock>(blocks[4])};
  ASSERT_TRUE(cache().put_blocks(shared));
  p = cache().presence(content.id(0));
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->to_bools(), state(content.id(0))->present);
  EXPECT_EQ((*p)->present_count, 2U);
  EXPECT_FALSE((*p)->test(0));
  EXPECT_TRUE((*p)->test(1));
  EXPECT_TRUE((*p)->test(4));
  EXPECT_FALSE((*p)->test(5));  // past the last block
  EXPECT_EQ((*p)->next_present(0, 5), 1U);
  EXPECT_EQ((*p)->next_present(2, 5), 4U);
  EXPECT_FALSE((*p)->next_present(2, 4));
  EXPECT_FALSE((*p)->next_present(5, 9));
  EXPECT_EQ(usage().bytes, blocks[1].bytes().size() + blocks[4].bytes().size());

  // read_block reports the presence its row lookup found, whether or not the block is there.
  std::optional<SegmentPresence> seen;
  auto bytes = cache().read_block(content.id(0), BlockIndex{4}, &seen);
  ASSERT_TRUE(bytes && *bytes);
  EXPECT_EQ(**bytes, content.block_bytes(0, 4));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->present_count, 2U);
  bytes = cache().read_block(content.id(0), BlockIndex{0}, &seen);
  ASSERT_TRUE(bytes);
  EXPECT_FALSE(*bytes);
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->test(1));
  bytes = cache().read_block(v2_content().id(0), BlockIndex{0}, &seen);
  ASSERT_TRUE(bytes);
  EXPECT_FALSE(seen);

  // Marking pending blocks present (what the peer source does) counts each once.
  SegmentPresence marked = **p;
  marked.set(0);
  marked.set(0);
  marked.set(1);
  marked.set(7);  // past the last block: ignored
  EXPECT_EQ(marked.present_count, 3U);
  EXPECT_EQ(marked.next_present(0, 5), 0U);
}

// --- Limits and eviction ---

TEST_P(DataCacheTest, PutBlocksEvictsTheLeastRecentlyUsedSegmentsOverTheSizeLimit) {
  // Room for two segments of 100,000 bytes.
  ASSERT_NO_FATAL_FAILURE(open({250000, 24h * 28}));
  const CachedContent& a = small_v1(1);
  const CachedContent& b = small_v1(2);
  const CachedContent& c = small_v1(3);
  ASSERT_NO_FATAL_FAILURE(store(a));
  clock_.advance(1s);
  ASSERT_NO_FATAL_FAILURE(store(b));
  clock_.advance(1s);
  ASSERT_TRUE(read(a.id(0), 0));  // a is now more recently used than b
  clock_.advance(1s);
  ASSERT_NO_FATAL_FAILURE(store(c));
  EXPECT_TRUE(state(a.id(0)));
  EXPECT_FALSE(state(b.id(0))) << "b was the least recently used";
  EXPECT_TRUE(state(c.id(0)));
  EXPECT_FALSE(fs::exists(test::segment_file(dir(), b.id(0))));
  EXPECT_EQ(usage().bytes, 200000U);
  expect_all_readable(a);
  expect_all_readable(c);
}

TEST_P(DataCacheTest, EvictRemovesInLruOrderAfterTheLimitShrinks) {
  ASSERT_NO_FATAL_FAILURE(open());
  // Stored in the order 1..5, then used in the order 3, 1, 5, 2, 4.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    ASSERT_NO_FATAL_FAILURE(store(small_v1(seed)));
    clock_.advance(1s);
  }
  for (const std::uint64_t seed : std::initializer_list<std::uint64_t>{3, 1, 5, 2, 4}) {
    ASSERT_TRUE(read(small_v1(seed).id(0), 1));
    clock_.advance(1s);
  }
  // A segment described without blocks holds nothing: the size limit never evicts it.
  ASSERT_NO_FATAL_FAILURE(describe(small_v1(6)));
  cache().set_limits({300000, 24h * 28});
  auto evicted = cache().evict();
  ASSERT_TRUE(evicted) << evicted.error().message;
  EXPECT_EQ(*evicted, 2U);
  for (const std::uint64_t seed : std::initializer_list<std::uint64_t>{3, 1})
    EXPECT_FALSE(state(small_v1(seed).id(0))) << seed;
  for (const std::uint64_t seed : std::initializer_list<std::uint64_t>{5, 2, 4, 6})
    EXPECT_TRUE(state(small_v1(seed).id(0))) << seed;
  EXPECT_EQ(usage().bytes, 300000U);

  cache().set_limits({100000, 24h * 28});
  evicted = cache().evict();
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 2U);
  EXPECT_TRUE(state(small_v1(4).id(0)));
  EXPECT_FALSE(state(small_v1(2).id(0)));
  // Under the limit: nothing more to do.
  evicted = cache().evict();
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 0U);
}

TEST_P(DataCacheTest, SegmentsPastTheAgeLimitAreEvictedWhateverTheirUse) {
  ASSERT_NO_FATAL_FAILURE(open({std::uint64_t{1} << 30U, 24h * 28}));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  clock_.advance(24h * 10);
  ASSERT_NO_FATAL_FAILURE(store(small_v1(2)));
  ASSERT_NO_FATAL_FAILURE(describe(small_v1(3)));  // no blocks: ages from its description
  clock_.advance(24h * 18);  // 1 is exactly 28 days old: not older than the limit
  auto evicted = cache().evict();
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 0U);
  clock_.advance(1s);
  ASSERT_TRUE(read(small_v1(1).id(0), 0));  // used a moment ago: age counts, not use
  evicted = cache().evict();
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 1U);
  EXPECT_FALSE(state(small_v1(1).id(0)));
  EXPECT_TRUE(state(small_v1(2).id(0)));
  clock_.advance(24h * 10);
  // open() applies the limits too.
  ASSERT_NO_FATAL_FAILURE(open({std::uint64_t{1} << 30U, 24h * 28}));
  EXPECT_EQ(usage().segments, 0U);
  EXPECT_TRUE(test::segment_files(dir()).empty());
}

TEST_P(DataCacheTest, AnAgeLimitOfZeroIsNoLimit) {
  ASSERT_NO_FATAL_FAILURE(open({std::uint64_t{1} << 30U, 0s}));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  clock_.advance(24h * 3650);
  auto evicted = cache().evict();
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 0U);
  EXPECT_TRUE(state(small_v1(1).id(0)));
}

TEST_P(DataCacheTest, AZeroSizeLimitIsFivePercentOfTheFileSystem) {
  ASSERT_NO_FATAL_FAILURE(open({0, 24h}));
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(dir().c_str(), &fs), 0);
  const std::uint64_t total = std::uint64_t{fs.f_blocks} * fs.f_frsize;
  const auto u = usage();
  EXPECT_EQ(u.max_bytes, total / 20);
  EXPECT_EQ(u.max_age, 24h);
}

// --- Tags ---

TEST_P(DataCacheTest, FlushRemovesTheSegmentsOnlyThatTagLabels) {
  ASSERT_NO_FATAL_FAILURE(open());
  const ContentTag t1 = test::tag_of(1);
  const ContentTag t2 = test::tag_of(2);
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1), t1));  // t1 only
  ASSERT_NO_FATAL_FAILURE(store(small_v1(2), t1));  // t1 and t2
  ASSERT_NO_FATAL_FAILURE(describe(small_v1(2), t2));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(3), t2));     // t2 only
  ASSERT_NO_FATAL_FAILURE(store(small_v1(4)));         // no tag
  ASSERT_NO_FATAL_FAILURE(describe(small_v1(1), t1));  // labelling twice changes nothing

  auto flushed = cache().flush(t1);
  ASSERT_TRUE(flushed) << flushed.error().message;
  EXPECT_EQ(*flushed, 1U);
  EXPECT_FALSE(state(small_v1(1).id(0)));
  EXPECT_FALSE(fs::exists(test::segment_file(dir(), small_v1(1).id(0))));
  for (const std::uint64_t seed : std::initializer_list<std::uint64_t>{2, 3, 4}) {
    EXPECT_TRUE(state(small_v1(seed).id(0))) << seed;
    expect_all_readable(small_v1(seed));
  }
  // t1 is gone from segment 2: flushing it again removes nothing; t2 now removes 2 and 3.
  flushed = cache().flush(t1);
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 0U);
  flushed = cache().flush(t2);
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 2U);
  EXPECT_TRUE(state(small_v1(4).id(0)));
  EXPECT_EQ(usage().segments, 1U);
  EXPECT_EQ(test::segment_files(dir()).size(), 1U);
}

TEST_P(DataCacheTest, TagsSurviveReopen) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1), test::tag_of(7)));
  ASSERT_NO_FATAL_FAILURE(open());
  auto flushed = cache().flush(test::tag_of(7));
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 1U);
}

// --- clear ---

TEST_P(DataCacheTest, ClearRemovesEverythingAndTheCacheWorksAfterwards) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content(), test::tag_of(1)));
  ASSERT_NO_FATAL_FAILURE(store(v2_content()));
  auto cleared = cache().clear();
  ASSERT_TRUE(cleared) << cleared.error().message;
  EXPECT_EQ(usage().segments, 0U);
  EXPECT_EQ(usage().bytes, 0U);
  EXPECT_TRUE(test::segment_files(dir()).empty());
  EXPECT_TRUE(fs::is_directory(dir() / DataCache::kSegmentsDirName));
  EXPECT_EQ(read(v1_content().id(0), 0), std::nullopt);
  // Described again, stored again.
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  expect_all_readable(v1_content());
  const auto raw = test::open_raw(db_file());
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM tags"), 0);
}

// --- Reconcile at open ---

TEST_P(DataCacheTest, ADeletedSegmentFileLosesItsBlocksAtOpen) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  close();
  ASSERT_TRUE(fs::remove(test::segment_file(dir(), v1_content().id(0))));
  ASSERT_NO_FATAL_FAILURE(open());
  const auto s = state(v1_content().id(0));
  ASSERT_TRUE(s) << "the segment stays described";
  EXPECT_EQ(s->present_count, 0U);
  EXPECT_EQ(read(v1_content().id(0), 0), std::nullopt);
  expect_all_readable(small_v1(1));
  EXPECT_EQ(usage().bytes, 100000U);
  // Put again, it is back.
  ASSERT_NO_FATAL_FAILURE(put(v1_content().all_blocks()));
  expect_all_readable(v1_content());
}

TEST_P(DataCacheTest, ATruncatedSegmentFileLosesTheBlocksPastItsEnd) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  close();
  // Cut inside block 2: blocks 0 and 1 are whole, 2..4 are not.
  fs::resize_file(test::segment_file(dir(), v1_content().id(0)), 2 * 65536 + 100);
  ASSERT_NO_FATAL_FAILURE(open());
  const auto s = state(v1_content().id(0));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->present, (std::vector<bool>{true, true, false, false, false}));
  EXPECT_EQ(usage().bytes, 2U * 65536U);
  EXPECT_EQ(read(v1_content().id(0), 1), v1_content().block_bytes(0, 1));
  EXPECT_EQ(read(v1_content().id(0), 2), std::nullopt);
}

TEST_P(DataCacheTest, FilesWithoutARowAreDeletedAtOpen) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  close();
  const fs::path segments = dir() / DataCache::kSegmentsDirName;
  const fs::path orphan = test::segment_file(dir(), small_v1(2).id(0));
  fs::create_directories(orphan.parent_path());
  fs::copy_file(test::segment_file(dir(), small_v1(1).id(0)), orphan);
  const std::string upper = small_v1(1).id(0).hex();
  std::string upper_case = upper;
  for (char& ch : upper_case) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::ofstream(segments / upper.substr(0, 2) / (upper_case + ".seg")) << "not ours";
  std::ofstream(segments / upper.substr(0, 2) / "stray.tmp") << "x";
  std::ofstream(segments / "stray-file") << "x";
  fs::create_directories(segments / "zz" / "deeper");
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_EQ(
      test::segment_files(dir()),
      std::vector<fs::path>{fs::relative(test::segment_file(dir(), small_v1(1).id(0)), segments)});
  EXPECT_FALSE(fs::exists(segments / "zz"));
  expect_all_readable(small_v1(1));
}

TEST_P(DataCacheTest, AFileRemovedWhileOpenIsForgottenAtTheRead) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  ASSERT_TRUE(fs::remove(test::segment_file(dir(), v1_content().id(0))));
  EXPECT_EQ(read(v1_content().id(0), 3), std::nullopt);
  EXPECT_EQ(state(v1_content().id(0))->present_count, 0U);
  EXPECT_EQ(usage().bytes, 0U);
}

TEST_P(DataCacheTest, AFileRemovedAfterAReadIsForgottenAtTheNextRead) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  // The first read keeps the file open for the next; the unlink must still be noticed.
  EXPECT_EQ(read(v1_content().id(0), 2), v1_content().block_bytes(0, 2));
  ASSERT_TRUE(fs::remove(test::segment_file(dir(), v1_content().id(0))));
  EXPECT_EQ(read(v1_content().id(0), 3), std::nullopt);
  EXPECT_EQ(state(v1_content().id(0))->present_count, 0U);
}

TEST_P(DataCacheTest, ReadsSeeWhatWasStoredAndRemovedSinceTheLastRead) {
  ASSERT_NO_FATAL_FAILURE(open());
  const CachedContent& c = v1_content();
  ASSERT_NO_FATAL_FAILURE(describe(c));
  ASSERT_NO_FATAL_FAILURE(put({c.block(0, 0)}));
  EXPECT_EQ(read(c.id(0), 0), c.block_bytes(0, 0));
  EXPECT_EQ(read(c.id(0), 1), std::nullopt);
  // Stored after the segment's row was read: present now.
  ASSERT_NO_FATAL_FAILURE(put({c.block(0, 1)}));
  EXPECT_EQ(read(c.id(0), 1), c.block_bytes(0, 1));
  auto presence = cache().presence(c.id(0));
  ASSERT_TRUE(presence && presence->has_value());
  EXPECT_EQ((*presence)->present_count, 2U);
  // Cleared, then stored again into a new file: the reads find the new state, not the old.
  ASSERT_TRUE(cache().clear());
  EXPECT_EQ(read(c.id(0), 0), std::nullopt);
  ASSERT_NO_FATAL_FAILURE(describe(c));
  ASSERT_NO_FATAL_FAILURE(put({c.block(0, 1)}));
  EXPECT_EQ(read(c.id(0), 0), std::nullopt);
  EXPECT_EQ(read(c.id(0), 1), c.block_bytes(0, 1));
}

TEST_P(DataCacheTest, RowsThatDoNotDecodeAreDroppedWithTheirFilesAtOpen) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(2)));
  ASSERT_NO_FATAL_FAILURE(store(small_v1(3)));
  close();
  {
    const auto raw = test::open_raw(db_file());
    // A bitmap claiming more than its count, a descriptor cut short.
    auto edit = sqlite::Statement::prepare(
        raw, "UPDATE segments SET present_count = 1 WHERE segment_id = ?1");
    ASSERT_TRUE(edit);
    edit->bind(1, small_v1(1).id(0).bytes());
    ASSERT_TRUE(edit->run());
    auto cut = sqlite::Statement::prepare(
        raw, "UPDATE segments SET descriptor = substr(descriptor, 1, 20) WHERE segment_id = ?1");
    ASSERT_TRUE(cut);
    cut->bind(1, small_v1(2).id(0).bytes());
    ASSERT_TRUE(cut->run());
  }
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_FALSE(state(small_v1(1).id(0)));
  EXPECT_FALSE(state(small_v1(2).id(0)));
  EXPECT_FALSE(fs::exists(test::segment_file(dir(), small_v1(1).id(0))));
  EXPECT_FALSE(fs::exists(test::segment_file(dir(), small_v1(2).id(0))));
  expect_all_readable(small_v1(3));
  EXPECT_EQ(usage().bytes, 100000U);
}

TEST_P(DataCacheTest, ARowEditedWhileOpenIsReportedCorrupt) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  {
    const auto raw = test::open_raw(db_file());
    test::exec_raw(raw, "UPDATE segments SET bytes_present = 5");
  }
  const auto bytes = cache().read_block(small_v1(1).id(0), BlockIndex{0});
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, StoreErrc::corrupt);
  const auto s = cache().segment(small_v1(1).id(0));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, StoreErrc::corrupt);
}

// --- The database file ---

TEST_P(DataCacheTest, ACorruptDatabaseFailsOpenUnlessAskedToMoveItAside) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  close();
  const Bytes garbage = peerdist::test::random_content(std::size_t{64} * 1024, 5);
  {
    std::ofstream out(db_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(garbage.data()),  // NOLINT: bytes to a stream
              static_cast<std::streamsize>(garbage.size()));
  }
  auto failed = DataCache::open(dir(), kRoomy);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, StoreErrc::corrupt);
  EXPECT_NE(failed.error().message.find("move"), std::string::npos) << failed.error().message;
  EXPECT_EQ(peerdist::test::read_file(db_file().string()), garbage) << "left alone";

  DataCacheOptions recover = clock_.options();
  recover.recover_corrupt = true;
  ASSERT_NO_FATAL_FAILURE(open(kRoomy, recover));
  ASSERT_TRUE(cache().moved_aside());
  EXPECT_EQ(peerdist::test::read_file(cache().moved_aside()->string()), garbage);
  EXPECT_EQ(cache().moved_aside()->parent_path(), dir());
  EXPECT_TRUE(cache().moved_aside()->filename().string().starts_with("cache.sqlite.corrupt-"));
  EXPECT_EQ(usage().segments, 0U);
  EXPECT_TRUE(test::segment_files(dir()).empty()) << "files of the lost rows are deleted";
  ASSERT_NO_FATAL_FAILURE(store(small_v1(1)));
  expect_all_readable(small_v1(1));
}

TEST_P(DataCacheTest, AnotherApplicationsDatabaseOrANewerSchemaIsLeftAlone) {
  fs::create_directories(dir());
  {
    auto raw = sqlite::Database::open(db_file());
    ASSERT_TRUE(raw);
    test::exec_raw(*raw, "CREATE TABLE t (x); PRAGMA application_id = 1234;");
  }
  auto foreign = DataCache::open(dir(), kRoomy);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, StoreErrc::not_a_catalog);

  fs::remove(db_file());
  ASSERT_NO_FATAL_FAILURE(open());
  close();
  {
    const auto raw = test::open_raw(db_file());
    test::exec_raw(raw, "PRAGMA user_version = 99");
  }
  auto newer = DataCache::open(dir(), kRoomy);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, StoreErrc::newer_schema);
}

TEST_P(DataCacheTest, TheCatalogIsNotTakenForACache) {
  fs::create_directories(dir());
  {
    auto catalog = Catalog::open(db_file());
    ASSERT_TRUE(catalog) << catalog.error().message;
  }
  auto opened = DataCache::open(dir(), kRoomy);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, StoreErrc::not_a_catalog);
}

// --- Lock, persistence, moves ---

TEST_P(DataCacheTest, ASecondCacheOnTheSameDirectoryIsBusyUntilTheFirstCloses) {
  ASSERT_NO_FATAL_FAILURE(open());
  auto second = DataCache::open(dir(), kRoomy);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, StoreErrc::busy);
  close();
  auto third = DataCache::open(dir(), kRoomy);
  EXPECT_TRUE(third) << third.error().message;
}

TEST_P(DataCacheTest, EverythingSurvivesReopen) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_NO_FATAL_FAILURE(store(v1_content()));
  ASSERT_NO_FATAL_FAILURE(store(v2_content()));
  auto before = usage();
  const auto state_before = state(v1_content().id(0));
  close();
  ASSERT_NO_FATAL_FAILURE(open());
  before.unsynced_segments = 0;  // closing checkpoints
  EXPECT_EQ(usage(), before);
  EXPECT_EQ(state(v1_content().id(0))->descriptor, state_before->descriptor);
  EXPECT_EQ(state(v1_content().id(0))->present, state_before->present);
  expect_all_readable(v1_content());
  expect_all_readable(v2_content());
}

TEST_P(DataCacheTest, AMovedFromCacheAnswersClosed) {
  ASSERT_NO_FATAL_FAILURE(open());
  DataCache moved = std::move(cache());
  EXPECT_EQ(cache().usage().error().code, StoreErrc::closed);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(cache().read_block(small_v1(1).id(0), BlockIndex{0}).error().code, StoreErrc::closed);
  EXPECT_EQ(cache().checkpoint().error().code, StoreErrc::closed);
  EXPECT_TRUE(moved.usage());
}

// --- usage ---

TEST_P(DataCacheTest, UsageCountsBytesBlocksSegmentsAndTheOldest) {
  ASSERT_NO_FATAL_FAILURE(open({123456789, 24h * 3}));
  auto u = usage();
  EXPECT_EQ(u, (CacheUsage{0, 123456789, 0, 0, 0, 24h * 3, std::nullopt, 0}));
  const auto first = clock_.now();
  ASSERT_NO_FATAL_FAILURE(describe(v1_content()));
  ASSERT_NO_FATAL_FAILURE(put({v1_content().block(0, 0), v1_content().block(0, 4)}));
  clock_.advance(1h);
  ASSERT_NO_FATAL_FAILURE(store(v2_content()));
  u = usage();
  EXPECT_EQ(u.bytes, 65536U + (300000U - 4U * 65536U) + v2_content().bytes.size());
  EXPECT_EQ(u.segments, 1U + v2_content().segments.size());
  EXPECT_EQ(u.complete_segments, v2_content().segments.size());
  EXPECT_EQ(u.blocks, 2U + v2_content().segments.size());
  EXPECT_EQ(u.oldest, first);
}

INSTANTIATE_TEST_SUITE_P(SyncPolicies, DataCacheTest,
                         ::testing::Values(SyncPolicy::every_batch, SyncPolicy::checkpoint),
                         [](const ::testing::TestParamInfo<SyncPolicy>& policy) {
                           return policy.param == SyncPolicy::every_batch ? "EveryBatch"
                                                                          : "Checkpoint";
                         });

}  // namespace
}  // namespace peerdist::store
