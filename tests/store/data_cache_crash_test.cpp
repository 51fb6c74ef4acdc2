// Crash safety of the data cache for real: a child process describes, stores (in batches, over
// the size limit so that puts also evict) and flushes contents in a loop while the parent kills
// it with SIGKILL at varied moments. After every kill the parent reopens the cache (reconcile
// included) and checks that the database is healthy, that every block marked present reads back
// byte for byte and verifies against its descriptor, that the byte count is the present blocks'
// sum, that no file is left without its segment, and that the last put the child saw return
// is there. Under both sync policies: in checkpoint mode the child checkpoints now and then, and
// a kill (the same boot, so the page cache keeps every write) loses nothing either.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "peerdist/store/data_cache.hpp"

#include "data_cache_fixtures.hpp"
#include "sqlite.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::store {
namespace {

using test::CachedContent;

struct Progress {
  std::atomic<std::int64_t> begun{0};      // operations started
  std::atomic<std::int64_t> committed{0};  // operations whose call returned success
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shared between processes");

constexpr int kRounds = 30;
constexpr std::int64_t kOperationsPerChild = 1000;  // far more than a child lives to do
constexpr auto kMaxDelay = std::chrono::microseconds(300000);
constexpr auto kMaxEarlyDelay = std::chrono::microseconds(1500);
constexpr std::size_t kBatch = 8;  // blocks per put_blocks
// Checkpoint mode: a checkpoint after every this many puts, so that kills land in them too.
constexpr std::size_t kPutsPerCheckpoint = 5;
// The three contents hold 4.5 MiB: putting the last of them evicts the least recently used.
constexpr CacheLimits kLimits{std::uint64_t{3} << 20U, std::chrono::hours(24)};

struct Operation {
  enum class Kind { put, flush, checkpoint } kind = Kind::put;
  std::size_t content = 0;
  std::size_t batch = 0;
};

struct Workload {
  std::vector<CachedContent> contents;
  std::vector<std::vector<std::vector<pccrc::VerifiedBlock>>> batches;  // [content][batch]
  std::vector<Operation> cycle;  // every put of every content, then a flush of each

  [[nodiscard]] const Operation& operation(std::int64_t n) const {
    return cycle[static_cast<std::size_t>(n) % cycle.size()];
  }
};

Workload make_workload(SyncPolicy policy) {
  Workload w;
  w.contents.push_back(test::make_content(std::size_t{2} << 20U, 31));
  w.contents.push_back(test::make_content(std::size_t{1} << 20U, 32, pccrc::HashScheme::v2()));
  w.contents.push_back(test::make_content(std::size_t{3} << 19U, 33,
                                          {pccrc::Version::v1, crypto::HashAlgorithm::sha384}));
  for (std::size_t c = 0; c < w.contents.size(); ++c) {
    const auto blocks = w.contents[c].all_blocks();
    auto& batches = w.batches.emplace_back();
    for (std::size_t i = 0; i < blocks.size(); i += kBatch) {
      batches.emplace_back(
          blocks.begin() + static_cast<std::ptrdiff_t>(i),
          blocks.begin() + static_cast<std::ptrdiff_t>(std::min(i + kBatch, blocks.size())));
      w.cycle.push_back({Operation::Kind::put, c, batches.size() - 1});
      if (policy == SyncPolicy::checkpoint && batches.size() % kPutsPerCheckpoint == 0) {
        w.cycle.push_back({Operation::Kind::checkpoint, c, 0});
      }
    }
  }
  for (std::size_t c = 0; c < w.contents.size(); ++c) {
    w.cycle.push_back({Operation::Kind::flush, c, 0});
  }
  return w;
}

ContentTag tag_of_content(std::size_t c) {
  return test::tag_of(static_cast<std::uint8_t>(c + 1));
}

DataCacheOptions options_for(SyncPolicy policy) {
  DataCacheOptions options;
  options.sync_policy = policy;
  return options;
}

[[noreturn]] void run_child(const std::filesystem::path& dir, const Workload& w, Progress& progress,
                            SyncPolicy policy) {
  // No gtest assertions here: the child reports through its exit code and `progress` only, and
  // leaves with _exit so that nothing of the parent's (gtest, sanitizer leak checks) runs.
  auto cache = DataCache::open(dir, kLimits, options_for(policy));
  if (!cache) _exit(2);
  const std::int64_t first = progress.committed.load();
  for (std::int64_t n = first; n < first + kOperationsPerChild; ++n) {
    progress.begun.store(n + 1);
    const Operation& op = w.operation(n);
    if (op.kind == Operation::Kind::put) {
      // Idempotent, and needed again after a flush or an eviction removed the segments.
      if (!cache->describe(w.contents[op.content].segments, tag_of_content(op.content))) _exit(3);
      if (!cache->put_blocks(w.batches[op.content][op.batch])) _exit(4);
    } else if (op.kind == Operation::Kind::flush) {
      if (!cache->flush(tag_of_content(op.content))) _exit(5);
    } else {
      if (!cache->checkpoint()) _exit(6);
    }
    progress.committed.store(n + 1);
  }
  _exit(0);
}

struct Checked {
  std::int64_t blocks = 0;
  std::int64_t segments = 0;
};

Checked verify(const std::filesystem::path& dir, const Workload& w, std::int64_t committed,
               bool one_in_flight, SyncPolicy policy) {
  Checked checked;
  // A child killed before its open created the directory left no database to check (the
  // early rounds kill within microseconds of the fork).
  if (std::filesystem::exists(dir / DataCache::kDatabaseFileName)) {
    const auto raw = test::open_raw(dir / DataCache::kDatabaseFileName);
    auto check = sqlite::Statement::prepare(raw, "PRAGMA integrity_check");
    EXPECT_TRUE(check && *check->step());
    EXPECT_EQ(check->column_text(0), "ok");
  }
  // Reconciles, and evicts what is over the limit.
  auto cache = DataCache::open(dir, kLimits, options_for(policy));
  EXPECT_TRUE(cache) << cache.error().message;
  if (!cache) return checked;
  // A kill is no reboot: nothing unsynced is dropped. (Killed inside its first open, a child
  // may leave no boot ID recorded, which counts as a reboot; but then nothing was stored.)
  EXPECT_EQ(cache->open_report().dropped_segments, 0U);

  std::uint64_t bytes = 0;
  std::set<std::string> described_files;
  for (const CachedContent& content : w.contents) {
    for (std::size_t s = 0; s < content.segments.size(); ++s) {
      auto state = cache->segment(content.id(s));
      EXPECT_TRUE(state) << state.error().message;
      if (!state || !state->has_value()) continue;
      ++checked.segments;
      EXPECT_EQ((*state)->descriptor, content.segments[s]);
      described_files.insert(std::filesystem::relative(test::segment_file(dir, content.id(s)),
                                                       dir / DataCache::kSegmentsDirName)
                                 .string());
      for (std::uint32_t i = 0; i < content.segments[s].block_count(); ++i) {
        if (!(*state)->present.at(i)) continue;
        auto read = cache->read_block(content.id(s), pccrc::BlockIndex{i});
        EXPECT_TRUE(read && read->has_value()) << "present block " << i << " does not read";
        if (!read || !read->has_value()) continue;
        EXPECT_EQ(**read, content.block_bytes(s, i)) << "segment " << s << " block " << i;
        EXPECT_TRUE(pccrc::verify_block(content.segments[s], pccrc::BlockIndex{i}, **read));
        bytes += content.segments[s].block_length(pccrc::BlockIndex{i});
        ++checked.blocks;
      }
    }
  }
  auto usage = cache->usage();
  EXPECT_TRUE(usage);
  if (usage) {
    EXPECT_EQ(usage->bytes, bytes);
    EXPECT_LE(usage->bytes, kLimits.max_bytes);
  }
  for (const auto& file : test::segment_files(dir)) {
    EXPECT_TRUE(described_files.contains(file.string())) << "orphan file " << file;
  }

  // The last put the child saw return is there (unless the operation in flight was the flush
  // of that content; a checkpoint in between changes nothing).
  std::int64_t last_put = committed - 1;
  if (last_put >= 0 && w.operation(last_put).kind == Operation::Kind::checkpoint) --last_put;
  if (last_put >= 0) {
    const Operation& last = w.operation(last_put);
    const bool flushed_since = one_in_flight &&
                               w.operation(committed).kind == Operation::Kind::flush &&
                               w.operation(committed).content == last.content;
    if (last.kind == Operation::Kind::put && !flushed_since) {
      for (const pccrc::VerifiedBlock& block : w.batches[last.content][last.batch]) {
        auto read = cache->read_block(block.segment_id(), block.index());
        EXPECT_TRUE(read && read->has_value())
            << "a block of the last committed put (operation " << last_put << ") is lost";
      }
    }
  }
  return checked;
}

class DataCacheCrashTest : public ::testing::TestWithParam<SyncPolicy> {};

TEST_P(DataCacheCrashTest, AKilledWriterNeverLeavesABlockMarkedPresentWithoutItsBytes) {
  const SyncPolicy policy = GetParam();
  const Workload w = make_workload(policy);
  peerdist::test::TempDir tmp;
  const std::filesystem::path dir = tmp.path() / "cache";

  void* shared =
      ::mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* progress = new (shared) Progress;  // NOLINT(cppcoreguidelines-owning-memory): mmap owns it

  // A fixed seed on purpose: the kill moments vary with timing anyway.
  std::mt19937 random(20240918);  // NOLINT(cert-msc32-c,cert-msc51-cpp)
  std::uniform_int_distribution<std::int64_t> delay_us(0, kMaxDelay.count());
  std::uniform_int_distribution<std::int64_t> early_delay_us(0, kMaxEarlyDelay.count());
  int kills = 0;
  int kills_inside_an_operation = 0;
  int children_that_ended_by_themselves = 0;
  Checked total;
  for (int round = 0; round < kRounds && !::testing::Test::HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::cout.flush();  // nothing buffered is written twice by the child
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) run_child(dir, w, *progress, policy);

    const bool early = round % 5 == 0;
    std::this_thread::sleep_for(
        std::chrono::microseconds(early ? early_delay_us(random) : delay_us(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const std::int64_t committed = progress->committed.load();
    const bool one_in_flight = progress->begun.load() > committed;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++kills;
      if (one_in_flight) ++kills_inside_an_operation;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "child failed, status " << status;
      ++children_that_ended_by_themselves;
    }
    const Checked checked = verify(dir, w, committed, one_in_flight, policy);
    total.blocks += checked.blocks;
    total.segments += checked.segments;
  }
  const std::int64_t operations = progress->committed.load();
  progress->~Progress();
  ::munmap(shared, sizeof(Progress));

  std::cout << "data cache crash test: " << kRounds << " rounds, " << kills << " kills ("
            << kills_inside_an_operation << " inside an operation), "
            << children_that_ended_by_themselves << " children ended by themselves, " << operations
            << " operations committed, " << total.blocks << " present blocks verified in "
            << total.segments << " segments\n";
  if (::testing::Test::HasFailure()) return;
  EXPECT_GE(kills, 20);
  EXPECT_GT(kills_inside_an_operation, 0);
  EXPECT_GT(total.blocks, 0);
}

INSTANTIATE_TEST_SUITE_P(SyncPolicies, DataCacheCrashTest,
                         ::testing::Values(SyncPolicy::every_batch, SyncPolicy::checkpoint),
                         [](const ::testing::TestParamInfo<SyncPolicy>& policy) {
                           return policy.param == SyncPolicy::every_batch ? "EveryBatch"
                                                                          : "Checkpoint";
                         });

}  // namespace
}  // namespace peerdist::store
