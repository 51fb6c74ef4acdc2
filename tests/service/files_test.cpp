// The state directory's files: directories, the server secret, the instance lock.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "peerdist/service/files.hpp"
#include "peerdist/service/instance_lock.hpp"
#include "peerdist/service/secret.hpp"
#include "peerdist/util/hex.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::service {
namespace {

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777U;
}

std::vector<std::uint8_t> bytes_of(const pccrc::ServerSecret& secret) {
  return {secret.bytes().begin(), secret.bytes().end()};
}

TEST(FilesTest, EnsureDirectoryCreatesParentsWithTheirModes) {
  peerdist::test::TempDir dir;
  const auto state = dir.path() / "a" / "b" / "state";
  ASSERT_TRUE(ensure_directory(state, 0700));
  EXPECT_EQ(mode_of(state), 0700U);
  EXPECT_EQ(mode_of(dir.path() / "a"), 0755U);
  ASSERT_TRUE(ensure_directory(state, 0700));  // exists: fine
  std::ofstream(dir.path() / "file") << "x";
  auto not_dir = ensure_directory(dir.path() / "file", 0700);
  ASSERT_FALSE(not_dir);
  EXPECT_NE(not_dir.error().find("not a directory"), std::string::npos);
}

TEST(FilesTest, AtomicWriteReplacesTheFileWithTheMode) {
  peerdist::test::TempDir dir;
  const auto file = dir.path() / "f";
  const std::vector<std::uint8_t> first{1, 2, 3};
  ASSERT_TRUE(write_file_atomically(file, first, 0600));
  EXPECT_EQ(peerdist::test::read_file(file.string()), first);
  EXPECT_EQ(mode_of(file), 0600U);
  ASSERT_TRUE(write_file_atomically(file, std::vector<std::uint8_t>{4}, 0600));
  EXPECT_EQ(peerdist::test::read_file(file.string()), std::vector<std::uint8_t>{4});
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  EXPECT_FALSE(read_small_file(file, 0));
}

TEST(SecretTest, GeneratedOnceKeptAndReused) {
  peerdist::test::TempDir dir;
  auto first = resolve_secret({}, dir.path());
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->secret.bytes().size(), kGeneratedSecretSize);
  EXPECT_NE(first->origin.find("(generated)"), std::string::npos);
  const auto file = dir.path() / kSecretFileName;
  EXPECT_EQ(mode_of(file), 0600U);
  auto again = resolve_secret({}, dir.path());
  ASSERT_TRUE(again);
  EXPECT_EQ(bytes_of(again->secret), bytes_of(first->secret));
  EXPECT_TRUE(again->warnings.empty());
  // The file is the key in hex, so an administrator can copy it into key_hex elsewhere.
  const auto text = peerdist::test::read_file(file.string());
  EXPECT_EQ(std::string(text.begin(), text.end()), util::to_hex(first->secret.bytes()) + "\n");

  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto loose = resolve_secret({}, dir.path());
  ASSERT_TRUE(loose);
  ASSERT_EQ(loose->warnings.size(), 1U);

  std::ofstream(file) << "not hex\n";
  auto broken = resolve_secret({}, dir.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("not a hex key"), std::string::npos);
  // Never replaced: it may be the only copy of a shared key.
  const auto after = peerdist::test::read_file(file.string());
  EXPECT_EQ(std::string(after.begin(), after.end()), "not hex\n");
}

TEST(SecretTest, FromTheConfiguration) {
  peerdist::test::TempDir dir;
  SecretSource hex;
  hex.key_hex = "00112233";
  auto from_hex = resolve_secret(hex, dir.path());
  ASSERT_TRUE(from_hex);
  EXPECT_EQ(bytes_of(from_hex->secret), (std::vector<std::uint8_t>{0x00, 0x11, 0x22, 0x33}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / kSecretFileName));
  hex.key_hex = "0g";
  EXPECT_FALSE(resolve_secret(hex, dir.path()));

  SecretSource pass;
  pass.passphrase = "branch office";
  auto from_pass = resolve_secret(pass, dir.path());
  ASSERT_TRUE(from_pass);
  EXPECT_EQ(bytes_of(from_pass->secret),
            bytes_of(*pccrc::ServerSecret::from_passphrase("branch office")));

  const pccrc::ServerSecret original(std::vector<std::uint8_t>(32, 0x42));
  SecretSource file;
  file.key_file = dir.write("exported.key", original.to_windows_export("export pass"));
  file.key_file_passphrase = "export pass";
  auto from_file = resolve_secret(file, dir.path());
  ASSERT_TRUE(from_file) << from_file.error();
  EXPECT_EQ(bytes_of(from_file->secret), bytes_of(original));
  file.key_file_passphrase = "wrong";
  auto wrong = resolve_secret(file, dir.path());
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("wrong key_file_passphrase?"), std::string::npos);
}

TEST(InstanceLockTest, ASecondLockNamesTheHolder) {
  peerdist::test::TempDir dir;
  auto first = InstanceLock::acquire(dir.path());
  ASSERT_TRUE(first) << first.error();
  auto second = InstanceLock::acquire(dir.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error();
  { auto released = std::move(*first); }
  EXPECT_TRUE(InstanceLock::acquire(dir.path()));
}

}  // namespace
}  // namespace peerdist::service
