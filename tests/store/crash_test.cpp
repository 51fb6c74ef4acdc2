// Crash safety for real: a child process inserts and removes publications in a loop while the
// parent kills it with SIGKILL at varied moments; after every kill the parent reopens the file
// and checks that it is healthy, that every publication present is whole (both CIs, each one
// parsing and equal to what was written, one segment row per CI segment), that nothing is
// orphaned, and that every operation the child saw committed is there.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/store/catalog.hpp"

#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::store {
namespace {

using pccrc::Version;
using test::Bytes;

// What the child has done, in memory shared with the parent. Operation i is: insert
// publication i, then (every 4th) remove publication i - 2. Both steps are idempotent, so a
// new child redoes the operation the last one was killed in.
struct Progress {
  std::atomic<std::int64_t> begun{0};      // operations started
  std::atomic<std::int64_t> committed{0};  // operations whose every call returned success
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shared between processes");

constexpr int kRounds = 30;
constexpr std::int64_t kOperationsPerChild = 400;  // far more than a child lives to do
// Most kills land somewhere in the insert/remove loop; every 5th round aims at the first
// milliseconds, where the child opens, checks and (in round 0) creates and migrates the file.
constexpr auto kMaxDelay = std::chrono::microseconds(40000);
constexpr auto kMaxEarlyDelay = std::chrono::microseconds(1000);

std::uint32_t uid_of(std::int64_t i) {
  return static_cast<std::uint32_t>(i % 3);
}
bool persistent(std::int64_t i) {
  return i % 2 == 0;
}
bool removes_earlier(std::int64_t i) {
  return i % 4 == 3;
}  // operation i removes i - 2
Bytes content_id_of(std::int64_t i) {
  return test::as_bytes("publication " + std::to_string(i));
}

[[noreturn]] void run_child(const std::filesystem::path& file,
                            const test::PublishedContent& content, Progress& progress) {
  // No gtest assertions here: the child reports only through its exit code and `progress`,
  // and leaves with _exit so that nothing of the parent's (gtest, sanitizer leak checks) runs.
  auto catalog = Catalog::open(file);
  if (!catalog) _exit(2);
  const std::int64_t first = progress.committed.load();
  for (std::int64_t i = first; i < first + kOperationsPerChild; ++i) {
    progress.begun.store(i + 1);
    const Bytes content_id = content_id_of(i);
    auto inserted = catalog->insert_publication(
        test::new_publication(uid_of(i), content_id, content, persistent(i)));
    if (!inserted && inserted.error().code != StoreErrc::already_exists) _exit(3);
    if (removes_earlier(i)) {
      if (!catalog->remove_publication(uid_of(i - 2), content_id_of(i - 2))) _exit(4);
    }
    progress.committed.store(i + 1);
  }
  _exit(0);
}

// Whether publication k must, may or must not be present once operations [0, committed) are
// done and operation `committed` may be half done.
enum class Expect { present, absent, either };
Expect expected_state(std::int64_t k, std::int64_t committed, bool one_in_flight) {
  const bool removed_by_done_op = k % 4 == 1 && k + 2 < committed;
  if (k < committed) {
    if (removed_by_done_op) return Expect::absent;
    const bool removed_by_op_in_flight =
        one_in_flight && k + 2 == committed && removes_earlier(committed);
    return removed_by_op_in_flight ? Expect::either : Expect::present;
  }
  if (k == committed && one_in_flight) return Expect::either;
  return Expect::absent;
}

std::int64_t segment_rows(const sqlite::Database& raw, PublicationId id, Version version) {
  auto count = sqlite::Statement::prepare(
      raw, "SELECT count(*) FROM segments WHERE publication_id = ?1 AND version = ?2");
  EXPECT_TRUE(count);
  if (!count) return -1;
  count->bind(1, id.value()).bind(2, static_cast<std::int64_t>(version));
  auto row = count->step();
  EXPECT_TRUE(row && *row);
  return row && *row ? count->column_int64(0) : -1;
}

// Checks the file after a kill; returns how many publications it verified.
std::int64_t verify(const std::filesystem::path& file, const test::PublishedContent& content,
                    std::int64_t committed, bool one_in_flight) {
  auto catalog = Catalog::open(file);  // includes PRAGMA quick_check
  EXPECT_TRUE(catalog) << catalog.error().message;
  if (!catalog) return 0;
  const auto raw = test::open_raw(file);
  {
    auto check = sqlite::Statement::prepare(raw, "PRAGMA integrity_check");  // the thorough one
    EXPECT_TRUE(check && *check->step());
    EXPECT_EQ(check->column_text(0), "ok");
  }
  EXPECT_EQ(test::query_int(raw,
                            "SELECT count(*) FROM content_information WHERE publication_id NOT IN "
                            "(SELECT id FROM publications)"),
            0);
  EXPECT_EQ(test::query_int(raw,
                            "SELECT count(*) FROM segments AS s WHERE NOT EXISTS (SELECT 1 FROM "
                            "content_information AS c WHERE c.publication_id = s.publication_id "
                            "AND c.version = s.version)"),
            0);

  std::map<std::int64_t, PublicationRecord> present;
  for (std::uint32_t uid = 0; uid < 3; ++uid) {
    auto records = catalog->list(uid);
    EXPECT_TRUE(records) << records.error().message;
    if (!records) return 0;
    for (PublicationRecord& record : *records) {
      const std::string name(record.content_id.begin(), record.content_id.end());
      const std::int64_t k = std::stoll(name.substr(name.find(' ') + 1));
      EXPECT_EQ(content_id_of(k), record.content_id);
      present.emplace(k, std::move(record));
    }
  }

  std::int64_t verified = 0;
  for (const auto& [k, record] : present) {
    SCOPED_TRACE("publication " + std::to_string(k));
    EXPECT_EQ(record.owner_uid, uid_of(k));
    EXPECT_EQ(record.persistent, persistent(k));
    EXPECT_EQ(record.content_length, content.length);
    EXPECT_EQ(record.versions, (std::vector<Version>{Version::v1, Version::v2}));
    for (const auto& [version, bytes, ci] :
         {std::tuple{Version::v1, &content.v1_bytes, &content.v1},
          std::tuple{Version::v2, &content.v2_bytes, &content.v2}}) {
      auto stored = catalog->content_information(record.id, version);
      EXPECT_TRUE(stored && stored->has_value())
          << "CI version " << static_cast<int>(version) << " missing";
      if (!stored || !stored->has_value()) continue;
      EXPECT_TRUE(pccrc::parse(**stored));
      EXPECT_EQ(**stored, *bytes);
      EXPECT_EQ(segment_rows(raw, record.id, version),
                static_cast<std::int64_t>(ci->segments.size()));
    }
    ++verified;
  }

  // Nothing the child saw committed is lost, and nothing it had not begun is there.
  const std::int64_t highest = present.empty() ? -1 : present.rbegin()->first;
  for (std::int64_t k = 0; k <= std::max(committed, highest); ++k) {
    const Expect expect = expected_state(k, committed, one_in_flight);
    const bool is_present = present.contains(k);
    if (expect == Expect::present) {
      EXPECT_TRUE(is_present) << "committed publication " << k << " is lost";
    } else if (expect == Expect::absent) {
      EXPECT_FALSE(is_present) << "publication " << k << " should not be there";
    }
  }
  // Within the operation in flight, the insert comes before the remove.
  if (one_in_flight && removes_earlier(committed) && !present.contains(committed - 2)) {
    EXPECT_TRUE(present.contains(committed))
        << "operation " << committed << " removed before inserting";
  }
  return verified;
}

TEST(CrashTest, AKilledWriterNeverLeavesAHalfWrittenPublication) {
  // 8 MiB: ~130 V2 segment rows per publication, so that a kill often lands inside an insert.
  const test::PublishedContent content = test::build_content(8U << 20U, 21);
  peerdist::test::TempDir dir;
  const std::filesystem::path file = dir.path() / "catalog.db";

  void* shared =
      ::mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* progress = new (shared) Progress;  // NOLINT(cppcoreguidelines-owning-memory): mmap owns it

  // A fixed seed on purpose: the kill moments vary with timing anyway.
  std::mt19937 random(20240917);  // NOLINT(cert-msc32-c,cert-msc51-cpp)
  std::uniform_int_distribution<std::int64_t> delay_us(0, kMaxDelay.count());
  std::uniform_int_distribution<std::int64_t> early_delay_us(0, kMaxEarlyDelay.count());
  int kills = 0;
  int kills_inside_an_operation = 0;
  int kills_between_operations = 0;  // during open, or between two operations
  int children_that_ended_by_themselves = 0;
  std::int64_t publications_verified = 0;
  for (int round = 0; round < kRounds && !::testing::Test::HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::cout.flush();  // nothing buffered is written twice by the child
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) run_child(file, content, *progress);

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
      ++(one_in_flight ? kills_inside_an_operation : kills_between_operations);
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "child failed, status " << status;
      ++children_that_ended_by_themselves;
    }
    publications_verified += verify(file, content, committed, one_in_flight);
  }
  const std::int64_t operations = progress->committed.load();
  progress->~Progress();
  ::munmap(shared, sizeof(Progress));

  std::cout << "crash test: " << kRounds << " rounds, " << kills << " kills ("
            << kills_inside_an_operation << " inside an operation, " << kills_between_operations
            << " during open or between operations), " << children_that_ended_by_themselves
            << " children ended by themselves, " << operations << " operations committed, "
            << publications_verified << " publications verified\n";
  // A run where the kills all missed would have tested nothing.
  if (::testing::Test::HasFailure()) return;  // the loop stopped early: these would only add noise
  EXPECT_GE(kills, kRounds / 2);
  EXPECT_GT(kills_inside_an_operation, 0);
  EXPECT_GT(publications_verified, 0);
}

}  // namespace
}  // namespace peerdist::store
