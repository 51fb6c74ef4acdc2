// `peerdist cache [--json]` and `peerdist cache clear`: the real CLI against the scripted daemon
// of the API tests (tests/api/fake_daemon.hpp), which answers CacheInfo and CacheClear with the
// JSON of docs/ipc.md; and the human units the command prints.
#include <peerdist_win32.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): setenv

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "cli/human_units.hpp"
#include "fake_daemon.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::test {
namespace {

const std::string kCli = PEERDIST_CLI;

Reply json_reply(const nlohmann::json& object) {
  const std::string text = object.dump();
  return Reply{.bytes = static_cast<std::uint32_t>(text.size()),
               .data = ipc::Blob(text.begin(), text.end())};
}

class CacheCommand : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("PEERDIST_SOCKET", dir_.file("fake.sock").c_str(), 1); }
  void TearDown() override { ::unsetenv("PEERDIST_SOCKET"); }

  // The daemon answers CacheInfo with `info` and CacheClear with `clear`.
  void answer(Reply info, Reply clear) {
    daemon_.set_auto_reply([info, clear](const FakeRequest& r) -> std::optional<Reply> {
      if (std::holds_alternative<ipc::CacheInfo>(r.message)) return info;
      if (std::holds_alternative<ipc::CacheClear>(r.message)) return clear;
      return FakeDaemon::default_reply(r);
    });
  }
  static ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), kCli);
    return run_process(args);
  }

  TempDir dir_;
  FakeDaemon daemon_{dir_.file("fake.sock"), {}};
  const nlohmann::json info_ = {{"dir", "/var/lib/peerdist/cache"},
                                {"bytes", 3U * 1024 * 1024 * 1024 / 2},
                                {"max_bytes", 10ULL * 1024 * 1024 * 1024},
                                {"segments", 48},
                                {"complete_segments", 45},
                                {"blocks", 24576},
                                {"max_age_seconds", 28 * 86400},
                                {"oldest_age_seconds", 3 * 86400 + 4 * 3600 + 59}};
};

TEST_F(CacheCommand, ShowsUsageLimitSegmentsBlocksAndAge) {
  answer(json_reply(info_), Reply{});
  const auto r = cli({"cache"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("used: 1.5 GiB of 10.0 GiB (15%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("segments: 48 (45 complete)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("blocks: 24576"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("oldest: 3 d 4 h ago, kept at most 28 d"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("directory: /var/lib/peerdist/cache"), std::string::npos) << r.out;
}

TEST_F(CacheCommand, JsonIsTheServicesObject) {
  answer(json_reply(info_), Reply{});
  const auto r = cli({"cache", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), info_);
}

TEST_F(CacheCommand, EmptyCacheHasNoOldestSegment) {
  answer(json_reply({{"bytes", 0},
                     {"max_bytes", 0},
                     {"segments", 0},
                     {"blocks", 0},
                     {"oldest_age_seconds", nullptr}}),
         Reply{});
  const auto r = cli({"cache"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("used: 0 B of 0 B\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("oldest: (empty)"), std::string::npos) << r.out;
}

TEST_F(CacheCommand, ClearSaysWhatWent) {
  answer(json_reply(info_), json_reply({{"bytes", 2048}, {"segments", 2}, {"blocks", 3}}));
  const auto r = cli({"cache", "clear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "removed 2.0 KiB in 2 segments (3 blocks)\n");
}

TEST_F(CacheCommand, ErrorsExitOneWithAReason) {
  answer(Reply{.status = PEERDIST_ERROR_SERVICE_UNAVAILABLE}, Reply{.status = ERROR_ACCESS_DENIED});
  auto r = cli({"cache", "clear"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  r = cli({"cache"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no service answers"), std::string::npos) << r.err;
  answer(Reply{.bytes = 3, .data = {'[', '1', ']'}}, Reply{});
  r = cli({"cache"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a JSON object"), std::string::npos) << r.err;
  // A bad command line is a usage error.
  EXPECT_EQ(cli({"cache", "purge"}).exit_code, 2);
}

TEST(CacheCommandNoService, ExitsOne) {
  const TempDir dir;
  ::setenv("PEERDIST_SOCKET", dir.file("none.sock").c_str(), 1);
  const auto r = run_process({kCli, "cache"});
  ::unsetenv("PEERDIST_SOCKET");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no service answers at"), std::string::npos) << r.err;
}

TEST(HumanUnits, Bytes) {
  EXPECT_EQ(cli::human_bytes(0), "0 B");
  EXPECT_EQ(cli::human_bytes(1023), "1023 B");
  EXPECT_EQ(cli::human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(cli::human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(cli::human_bytes(1024 * 1024 - 1), "1.0 MiB");  // not "1024.0 KiB"
  EXPECT_EQ(cli::human_bytes(5ULL << 40U), "5.0 TiB");
  EXPECT_EQ(cli::human_bytes(UINT64_MAX), "16.0 EiB");
}

TEST(HumanUnits, Durations) {
  using std::chrono::seconds;
  EXPECT_EQ(cli::human_duration(seconds(0)), "0 s");
  EXPECT_EQ(cli::human_duration(seconds(-5)), "0 s");
  EXPECT_EQ(cli::human_duration(seconds(42)), "42 s");
  EXPECT_EQ(cli::human_duration(seconds(303)), "5 min 3 s");
  EXPECT_EQ(cli::human_duration(seconds(2 * 3600 + 7 * 60 + 9)), "2 h 7 min");
  EXPECT_EQ(cli::human_duration(seconds(3 * 86400 + 5)), "3 d");
  EXPECT_EQ(cli::human_duration(seconds(86400 + 3600)), "1 d 1 h");
}

}  // namespace
}  // namespace peerdist::test
