// `peerdist publish / ci / unpublish / status` end to end: the real CLI against a real peerdistd
// that the test starts; content information compared with `peerdist hash` of the same bytes.
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): setenv

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "real_daemon.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::test {
namespace {

const std::string kCli = PEERDIST_CLI;

class ServiceCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.start()) << daemon_.log();
    ::setenv("PEERDIST_SOCKET", daemon_.socket().c_str(), 1);
    content_ = dir_.write("content.bin", random_content(2 * 1024 * 1024 + 4321, 77));
  }
  void TearDown() override { ::unsetenv("PEERDIST_SOCKET"); }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), kCli);
    return run_process(args);
  }
  std::string hash(std::vector<std::string> extra) {
    std::vector<std::string> args = {"hash", content_, "--key-hex", kServerKeyHex, "-o", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir dir_;
  RealDaemon daemon_{dir_.path()};
  std::string content_;
};

TEST_F(ServiceCommands, PublishedContentInformationEqualsHash) {
  const auto published = cli({"publish", content_, "--id", "the id"});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_NE(published.err.find("as 'the id'"), std::string::npos) << published.err;

  // Without --ci-version: the service's highest version (V2).
  const auto v2 = cli({"ci", "--id", "the id", "-o", "-"});
  ASSERT_EQ(v2.exit_code, 0) << v2.err;
  EXPECT_EQ(v2.out, hash({"--ci-version", "2"}));
  const auto v1 = cli({"ci", "--id", "the id", "--ci-version", "1", "-o", "-"});
  EXPECT_EQ(v1.out, hash({"--ci-version", "1"}));
  const auto ranged = cli({"ci", "--id", "the id", "--ci-version", "1", "--range", "70000-1999999"});
  EXPECT_EQ(ranged.out, hash({"--range", "70000-1999999"}));
  const auto to_end = cli({"ci", "--id", "the id", "--ci-version", "2", "--range", "100000-"});
  EXPECT_EQ(to_end.out, hash({"--ci-version", "2", "--range", "100000-"}));
}

TEST_F(ServiceCommands, UnpublishAndUnknownIdentifiers) {
  ASSERT_EQ(cli({"publish", content_, "--id", "x", "--ci-version", "1"}).exit_code, 0);
  // Only V1 was produced for this publication.
  const auto v2 = cli({"ci", "--id", "x", "--ci-version", "2", "-o", "-"});
  EXPECT_EQ(v2.exit_code, 1);
  EXPECT_FALSE(v2.err.empty());
  const auto again = cli({"publish", content_, "--id", "x"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already"), std::string::npos) << again.err;
  ASSERT_EQ(cli({"unpublish", "--id", "x"}).exit_code, 0);
  const auto gone = cli({"ci", "--id", "x", "-o", "-"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("'x' is not published"), std::string::npos) << gone.err;
}

TEST_F(ServiceCommands, PublicationsSurviveARestartAndShowInStatus) {
  ASSERT_EQ(cli({"publish", content_, "--id", "kept"}).exit_code, 0);
  ASSERT_TRUE(daemon_.stop());
  ASSERT_TRUE(daemon_.start()) << daemon_.log();
  const auto ci = cli({"ci", "--id", "kept", "-o", "-"});
  ASSERT_EQ(ci.exit_code, 0) << ci.err;
  EXPECT_EQ(ci.out, hash({"--ci-version", "2"}));

  const auto status = cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["status"], "available");
  EXPECT_EQ(j["service"]["publications"], 1);
  EXPECT_EQ(j["service"]["persistent"], 1);
  EXPECT_EQ(j["service"]["socket"], daemon_.socket());
  const auto text = cli({"status"});
  EXPECT_NE(text.out.find("peerdistd: available"), std::string::npos) << text.out;
}

TEST_F(ServiceCommands, WithoutAServiceEveryCommandSaysSo) {
  ASSERT_TRUE(daemon_.stop());
  const auto status = cli({"status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("unavailable"), std::string::npos) << status.out;
  const auto publish = cli({"publish", content_, "--id", "y"});
  EXPECT_EQ(publish.exit_code, 1);
  EXPECT_NE(publish.err.find("peerdistd running"), std::string::npos) << publish.err;
  const auto missing = cli({"publish", dir_.file("missing"), "--id", "y"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

TEST_F(ServiceCommands, DisabledByPolicyIsExplained) {
  daemon_.set_enabled(false);
  // The reload is asynchronous: poll status (bounded) until the service says disabled.
  std::string said;
  for (int i = 0; i < 100 && said != "disabled"; ++i) {
    const auto s = cli({"status", "--json"});
    said = nlohmann::json::parse(s.out)["status"].get<std::string>();
  }
  ASSERT_EQ(said, "disabled");
  const auto publish = cli({"publish", content_, "--id", "z"});
  EXPECT_EQ(publish.exit_code, 1);
  EXPECT_NE(publish.err.find("enabled = false"), std::string::npos) << publish.err;
}

}  // namespace
}  // namespace peerdist::test
