// FileWindow: a client's file mapped by the daemon survives the file shrinking under it (the
// SIGBUS is caught, the window reads zeros and says it is damaged), and check_file_piece takes
// only what docs/ipc.md "File pieces" allows.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <numeric>
#include <thread>
#include <vector>

#include "peerdist.h"
#include "peerdist/service/file_window.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::service::test {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20U;

class FileWindowTest : public ::testing::Test {
 protected:
  // A file of `size` random bytes, opened read-only; its bytes in `content`.
  ipc::UniqueFd make_file(std::size_t size, int flags = O_RDONLY) {
    content = peerdist::test::random_content(size, 41);
    path = dir.write("file.bin", content);
    return ipc::UniqueFd(::open(path.c_str(), flags | O_CLOEXEC));  // NOLINT
  }

  peerdist::test::TempDir dir;
  std::string path;
  std::vector<std::uint8_t> content;
};

TEST_F(FileWindowTest, MapsAnyRangeReadOnly) {
  const auto fd = make_file(3 * kMiB + 1234);
  ASSERT_TRUE(fd);
  // Offsets on and off page boundaries, up to the last byte.
  for (const auto& [offset, length] : std::vector<std::pair<std::uint64_t, std::size_t>>{
           {0, content.size()}, {1, 4096}, {4095, 2}, {kMiB + 17, kMiB}, {content.size() - 1, 1}}) {
    auto window = FileWindow::map(fd.get(), offset, length);
    ASSERT_TRUE(window) << window.error().message();
    ASSERT_EQ(window->bytes().size(), length);
    EXPECT_TRUE(std::equal(window->bytes().begin(), window->bytes().end(),
                           content.begin() + static_cast<std::ptrdiff_t>(offset)));
    EXPECT_FALSE(window->damaged());
    EXPECT_FALSE(window->close());
    EXPECT_TRUE(window->bytes().empty());
    EXPECT_FALSE(window->close());  // idempotent
  }
}

TEST_F(FileWindowTest, AFileThatShrinksUnderTheMappingIsCaughtNotFatal) {
  const auto fd = make_file(4 * kMiB);
  ASSERT_TRUE(fd);
  auto window = FileWindow::map(fd.get(), 0, content.size());
  ASSERT_TRUE(window);
  auto other = FileWindow::map(fd.get(), 0, 4096);  // a second window of the same file
  ASSERT_TRUE(other);
  // The client truncates its file to half while the daemon has it mapped.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(2 * kMiB)), 0);
  // Reading it all, from several threads at once as the hashing workers do: past the new end
  // each thread faults; the window becomes zeros instead of killing the process.
  const auto bytes = window->bytes();
  std::atomic<std::uint64_t> sum{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      std::uint64_t local = 0;
      for (std::size_t i = 0; i < bytes.size(); i += 512) local += bytes[i];
      sum += local;
    });
  }
  for (auto& reader : readers) reader.join();
  EXPECT_TRUE(window->damaged());
  // The last pages read as zeros now.
  EXPECT_EQ(bytes[bytes.size() - 1], 0);
  EXPECT_EQ(bytes[3 * kMiB], 0);
  // The other window was not touched past the end: not damaged.
  EXPECT_FALSE(other->damaged());
  EXPECT_TRUE(window->close());
  EXPECT_FALSE(other->close());
  // And a fresh window of what is left is whole again.
  auto again = FileWindow::map(fd.get(), 0, 2 * kMiB);
  ASSERT_TRUE(again);
  EXPECT_TRUE(std::equal(again->bytes().begin(), again->bytes().end(), content.begin()));
  EXPECT_FALSE(again->close());
}

TEST_F(FileWindowTest, ASigbusOutsideTheWindowsIsStillFatal) {
  // The handler must not swallow faults that are not ours: a read past the end of a file this
  // test maps itself still kills the process.
  const auto fd = make_file(8192);
  ASSERT_TRUE(fd);
  auto window = FileWindow::map(fd.get(), 0, 4096);  // installs the handler
  ASSERT_TRUE(window);
  EXPECT_EXIT(
      {
        void* p = ::mmap(nullptr, 3 * 4096, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED) ::_exit(3);
        const volatile auto* past_end = static_cast<const volatile std::uint8_t*>(p) + 2 * 4096;
        [[maybe_unused]] const std::uint8_t byte = *past_end;
        ::_exit(0);
      },
      // Killed by SIGBUS; or, under AddressSanitizer, whose handler came first, its report.
      [](int status) {
        return (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) ||
               (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3);
      },
      "");
}

TEST_F(FileWindowTest, OnlyRegularFilesOpenedReadOnlyAndRangesInside) {
  auto fd = make_file(10000);
  ASSERT_TRUE(fd);
  EXPECT_EQ(check_file_piece(fd.get(), 0, 10000), static_cast<std::uint32_t>(ERROR_SUCCESS));
  EXPECT_EQ(check_file_piece(fd.get(), 9999, 1), static_cast<std::uint32_t>(ERROR_SUCCESS));
  EXPECT_EQ(check_file_piece(fd.get(), 9999, 2),
            static_cast<std::uint32_t>(PEERDIST_ERROR_OUT_OF_BOUNDS));
  EXPECT_EQ(check_file_piece(fd.get(), 0xFFFFFFFFFFFFFFFFULL, 2),
            static_cast<std::uint32_t>(PEERDIST_ERROR_OUT_OF_BOUNDS));
  // Writable descriptors, O_PATH ones, directories and pipes are refused.
  for (const int flags : {O_RDWR, O_WRONLY, O_PATH}) {
    const ipc::UniqueFd other(::open(path.c_str(), flags | O_CLOEXEC));  // NOLINT
    ASSERT_TRUE(other);
    EXPECT_EQ(check_file_piece(other.get(), 0, 1),
              static_cast<std::uint32_t>(ERROR_INVALID_PARAMETER))
        << flags;
  }
  const ipc::UniqueFd directory(::open(dir.path().c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT
  EXPECT_EQ(check_file_piece(directory.get(), 0, 0),
            static_cast<std::uint32_t>(ERROR_INVALID_PARAMETER));
  int pipe_fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const ipc::UniqueFd read_end(pipe_fds[0]);
  const ipc::UniqueFd write_end(pipe_fds[1]);
  EXPECT_EQ(check_file_piece(read_end.get(), 0, 0),
            static_cast<std::uint32_t>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(check_file_piece(-1, 0, 0), static_cast<std::uint32_t>(ERROR_INVALID_PARAMETER));
}

}  // namespace
}  // namespace peerdist::service::test
