// `peerdist hash` end to end: the real binary, real files, output compared with the vectors.
#include <gtest/gtest.h>

#include "peerdist/pccrc/keys.hpp"
#include "peerdist/util/hex.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"
#include "support/vector_file.hpp"

namespace peerdist::test {
namespace {

const std::string kCli = PEERDIST_CLI;

class HashCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    synthetic_ = new std::vector<std::uint8_t>(synthetic_content(33621202));  // NOLINT
  }
  static void TearDownTestSuite() {
    delete synthetic_;  // NOLINT
    synthetic_ = nullptr;
  }
  static std::vector<std::uint8_t>* synthetic_;
  TempDir dir_;
};
std::vector<std::uint8_t>* HashCommand::synthetic_ = nullptr;

TEST_F(HashCommand, ReproducesTheSyntheticV1Vector) {
  const auto v = VectorFile::load("derived/synthetic-v1-2seg.txt");
  const auto input = dir_.write("content", *synthetic_);
  const auto r = run_process({kCli, "hash", input, "--key-hex", v.text("server_secret_key_hex"),
                              "-o", dir_.file("out.ci")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(util::to_hex(read_file(dir_.file("out.ci"))), v.text("ci_hex"));
  EXPECT_EQ(r.err, "");  // a key was given: nothing to say
}

TEST_F(HashCommand, ReproducesTheSyntheticRangeVector) {
  const auto v = VectorFile::load("derived/synthetic-v1-2seg-range-100000-33599999.txt");
  const auto input = dir_.write("content", *synthetic_);
  // The vector's range is [100000, 33600000): END is inclusive on the command line.
  const auto r = run_process({kCli, "hash", input, "--passphrase", "server secret", "--range",
                              "100000-33599999", "-o", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(util::to_hex({reinterpret_cast<const std::uint8_t*>(r.out.data()), r.out.size()}),  // NOLINT
            v.text("ci_hex"));
}

TEST_F(HashCommand, StdinAndFileGiveTheSameBytesForBothVersions) {
  const auto content = random_content(700000, 5);
  const auto input = dir_.write("content", content);
  const std::string stdin_data(content.begin(), content.end());
  for (const char* version : {"1", "2"}) {
    const auto from_file =
        run_process({kCli, "hash", input, "--ci-version", version, "--passphrase", "p", "-o", "-"});
    const auto from_stdin = run_process(
        {kCli, "hash", "-", "--ci-version", version, "--passphrase", "p", "-o", "-"}, stdin_data);
    ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
    ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
    EXPECT_FALSE(from_file.out.empty());
    EXPECT_EQ(from_file.out, from_stdin.out) << "version " << version;
    // One thread gives the same bytes as all of them.
    const auto single = run_process(
        {kCli, "hash", input, "--ci-version", version, "--passphrase", "p", "--threads", "1", "-o", "-"});
    EXPECT_EQ(single.out, from_file.out);
  }
}

TEST_F(HashCommand, KeyFileImportEqualsTheRawKey) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  const pccrc::ServerSecret secret(v.bytes("server_secret_key_hex"));
  const auto key_file = dir_.write("key.bin", secret.to_windows_export("export pass"));
  const auto input = dir_.write("content", random_content(100000, 9));
  const auto with_hex = run_process({kCli, "hash", input, "--key-hex", v.text("server_secret_key_hex"), "-o", "-"});
  const auto with_file = run_process({kCli, "hash", input, "--key-file", key_file,
                                      "--key-file-passphrase", "export pass", "-o", "-"});
  ASSERT_EQ(with_file.exit_code, 0) << with_file.err;
  EXPECT_EQ(with_hex.out, with_file.out);
  const auto wrong = run_process({kCli, "hash", input, "--key-file", key_file,
                                  "--key-file-passphrase", "nope", "-o", "-"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("passphrase"), std::string::npos) << wrong.err;
}

TEST_F(HashCommand, WithoutKeyUsesARandomSecretAndSaysSo) {
  const auto input = dir_.write("content", random_content(1000, 3));
  const auto a = run_process({kCli, "hash", input, "-o", "-"});
  const auto b = run_process({kCli, "hash", input, "-o", "-"});
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_NE(a.err.find("random server secret"), std::string::npos) << a.err;
  EXPECT_EQ(a.out.size(), b.out.size());
  EXPECT_NE(a.out, b.out);  // Kp differs
}

TEST_F(HashCommand, BadInputGivesOneClearLine) {
  const auto input = dir_.write("content", random_content(1000, 3));
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"hash", dir_.file("missing"), "--passphrase", "p", "-o", "-"}, 1, "cannot open"},
      {{"hash", input, "--ci-version", "2", "--hash", "sha256", "--passphrase", "p", "-o", "-"}, 1, "SHA-512"},
      {{"hash", input, "--range", "10-5", "--passphrase", "p", "-o", "-"}, 1, "--range"},
      {{"hash", input, "--range", "abc", "--passphrase", "p", "-o", "-"}, 1, "--range"},
      {{"hash", input, "--range", "500-1000", "--passphrase", "p", "-o", "-"}, 1, "outside the content"},
      {{"hash", input, "--key-hex", "xyz", "-o", "-"}, 1, "--key-hex"},
      {{"hash", dir_.path().string(), "--passphrase", "p", "-o", "-"}, 1, "directory"},
      {{"hash", input, "--ci-version", "3"}, 2, "--ci-version"},
      {{"hash", input, "--key-hex", "00", "--passphrase", "p"}, 2, "excludes"},
      {{"hash"}, 2, "FILE"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {kCli};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  const auto empty = run_process({kCli, "hash", dir_.write("empty", {}), "--passphrase", "p", "-o", "-"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("empty"), std::string::npos) << empty.err;
}

TEST_F(HashCommand, ForcedProgressReportsOnStderr) {
  // stderr is a pipe here: forced progress ends with a summary line naming the input.
  const auto input = dir_.write("content", random_content(3 * 1024 * 1024, 4));
  const auto r = run_process({kCli, "hash", input, "--passphrase", "p", "--progress", "-o", dir_.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("hashing " + input + ": 3.0 MiB of 3.0 MiB (100%)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("done"), std::string::npos) << r.err;
  // Without --progress a pipe gets nothing.
  const auto quiet = run_process({kCli, "hash", input, "--passphrase", "p", "-o", dir_.file("out")});
  EXPECT_EQ(quiet.err, "");
}

TEST(HashCommandHelp, EveryCommandHasHelp) {
  for (const char* cmd : {"hash", "info"}) {
    const auto r = run_process({kCli, cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace peerdist::test
