// Publishing and reading content information against a real peerdistd: the bytes the service
// returns are exactly what the pccrc builder makes from the same content and secret, whole and
// ranged, V1 and V2, whatever the piece sizes of AddToStream and Retrieve; completions arrive
// through ports and events; the C++ API (publish_file, zero-copy buffers, read_all) agrees.
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/peerdist.hpp"

#include "daemon_test_support.hpp"
#include "support/test_data.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

using pccrc::Version;

PEERDIST_RETRIEVAL_OPTIONS versions(DWORD min, DWORD max) {
  return PEERDIST_RETRIEVAL_OPTIONS{sizeof(PEERDIST_RETRIEVAL_OPTIONS), min, max, 0};
}

using Publish = WithDaemon;

TEST_F(Publish, ContentInformationEqualsTheBuildersForEveryVersion) {
  const auto content = random_content(5 * kMiB + 12345, 1);
  ASSERT_EQ(publish(instance_, "five", content), ERROR_SUCCESS);
  const auto v1 = expected_ci(content, Version::v1);
  const auto v2 = expected_ci(content, Version::v2);
  auto got = read_ci(instance_, "five", {.versions = versions(1, 1)});
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, v1);
  got = read_ci(instance_, "five", {.versions = versions(2, 2)});
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, v2);
  // Ex gives the highest in [min, max]; the non-Ex call the highest configured (Q16).
  got = read_ci(instance_, "five", {.versions = versions(1, 2)});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, v2);
  got = read_ci(instance_, "five");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, v2);
}

TEST_F(Publish, AddToStreamPieceSizesDoNotMatter) {
  const auto content = random_content(3 * kMiB + 7, 2);
  const auto expected = expected_ci(content, Version::v2);
  // One call bigger than the ring's slot (pieces inside the library), odd sizes, tiny ones.
  const std::size_t sizes[] = {content.size(), 4 * kMiB + 1, 65537, 4096 + 3};
  for (const std::size_t piece : sizes) {
    const std::string id = "pieces-" + std::to_string(piece);
    ASSERT_EQ(publish(instance_, id, content, 0, piece), ERROR_SUCCESS) << piece;
    const auto got = read_ci(instance_, id, {.versions = versions(2, 2)});
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(*got, expected) << piece;
  }
}

TEST_F(Publish, RetrievalInPiecesOfAnySizeWholeAndRanged) {
  const auto content = random_content(2 * kMiB + 999, 3);
  ASSERT_EQ(publish(instance_, "ranged", content), ERROR_SUCCESS);
  struct Case {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::optional<pccrc::ByteRange> range;
  };
  const Case cases[] = {
      {0, 0, std::nullopt},                                // whole
      {100000, 300000, pccrc::ByteRange{100000, 400000}},  // inside
      {kMiB, 0, pccrc::ByteRange{kMiB, content.size()}},   // to the end (Q10)
  };
  for (const Version version : {Version::v1, Version::v2}) {
    const auto v = static_cast<DWORD>(version);
    for (const Case& c : cases) {
      const auto expected = expected_ci(content, version, c.range);
      ASSERT_FALSE(expected.empty());
      for (const DWORD piece :
           {DWORD{1}, DWORD{7}, DWORD{4096}, static_cast<DWORD>(expected.size())}) {
        if (piece == 1 && expected.size() > 20000)
          continue;  // a byte per round trip: keep it short
        const auto got = read_ci(
            instance_, "ranged",
            {.offset = c.offset, .length = c.length, .versions = versions(v, v), .piece = piece});
        ASSERT_TRUE(got) << got.error() << " v" << v << " piece " << piece;
        EXPECT_EQ(*got, expected) << "v" << v << " offset " << c.offset << " piece " << piece;
      }
    }
  }
}

TEST_F(Publish, SmallContentReadByteByByte) {
  const auto content = random_content(1000, 4);
  ASSERT_EQ(publish(instance_, "small", content), ERROR_SUCCESS);
  for (const Version version : {Version::v1, Version::v2}) {
    const auto v = static_cast<DWORD>(version);
    const auto got = read_ci(instance_, "small", {.versions = versions(v, v), .piece = 1});
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(*got, expected_ci(content, version));
  }
}

TEST_F(Publish, CompletionPortAndEventPaths) {
  const auto content = random_content(kMiB, 5);
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(
      PeerDistServerPublishStream(instance_, 5, id_bytes("paths"), 0, nullptr, port_, 99, &stream),
      ERROR_SUCCESS);
  // Port only.
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB / 2,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 99U);
  EXPECT_EQ(packet->bytes, kMiB / 2);
  EXPECT_EQ(offset_of(ov), 0U);
  // Event and port: both (completion.hpp); the low bit of hEvent: the event only.
  ov = OVERLAPPED{};
  ov.hEvent = event;
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB / 4,
                                             const_cast<BYTE*>(content.data() + kMiB / 2), &ov),
            ERROR_IO_PENDING);
  ASSERT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  DWORD bytes = 0;
  EXPECT_TRUE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(bytes, kMiB / 4);
  EXPECT_TRUE(dequeue(port_));
  ov = OVERLAPPED{};
  ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<ULONG_PTR>(event) | 1);  // NOLINT
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB / 4,
                                             const_cast<BYTE*>(content.data() + 3 * kMiB / 4), &ov),
            ERROR_IO_PENDING);
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));  // kernel32's, waiting
  EXPECT_EQ(bytes, kMiB / 4);
  EXPECT_FALSE(dequeue(port_, 50));
  // CompleteStream through the port.
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok) << packet->error;
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  CloseHandle(event);

  // Retrieve through a port bound to the content-info handle.
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  ASSERT_EQ(
      PeerDistServerOpenContentInformation(instance_, 5, id_bytes("paths"), 0, 0, port_, 7, &ci),
      ERROR_SUCCESS);
  std::vector<BYTE> buffer(1 << 20);
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(
                instance_, ci, static_cast<DWORD>(buffer.size()), buffer.data(), &ov),
            ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 7U);
  const auto expected = expected_ci(content, Version::v2);
  ASSERT_EQ(packet->bytes, expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), buffer.begin()));
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 16, buffer.data(), &ov),
            ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_NO_MORE));
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
}

TEST_F(Publish, CxxPublishFileIsZeroCopyPipelinedAndMatchesTheBuilder) {
  const auto content = random_content(9 * kMiB + 3, 6);
  const std::string path = dir_.write("content.bin", content);
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  const std::error_code published = instance->publish_file(
      path, as_bytes("file"), {.persistent = false},
      [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_FALSE(published) << published.message();
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().first, content.size());
  EXPECT_EQ(progress.back().second, content.size());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));

  auto reader = instance->open_content_information(as_bytes("file"), {}, VersionRange{1, 1});
  ASSERT_TRUE(reader) << reader.error().message();
  auto ci = reader->read_all();
  ASSERT_TRUE(ci);
  EXPECT_EQ(*ci, expected_ci(content, Version::v1));
  // The C API sees the same publication (same user, other instance).
  const auto through_c = read_ci(instance_, "file", {.versions = versions(1, 1)});
  ASSERT_TRUE(through_c);
  EXPECT_EQ(*through_c, *ci);

  // Ranged, piece by piece.
  reader = instance->open_content_information(as_bytes("file"), {.offset = kMiB, .length = kMiB});
  ASSERT_TRUE(reader);
  std::vector<std::uint8_t> piece(1000);
  std::vector<std::uint8_t> all;
  for (;;) {
    auto got = reader->next(piece);
    ASSERT_TRUE(got);
    if (got->end) break;
    EXPECT_EQ(got->offset, all.size());
    all.insert(all.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(got->size));
  }
  EXPECT_EQ(all, expected_ci(content, Version::v2, pccrc::ByteRange{kMiB, 2 * kMiB}));
  EXPECT_FALSE(reader->close());
}

TEST_F(Publish, CxxPublishFileLetsTheDaemonReadARegularFile) {
  // Larger than several file pieces (32 MiB), from a position that is not page-aligned: the
  // daemon maps and hashes [position, end) itself (docs/ipc.md "File pieces"), and the CI is
  // the builder's of those bytes, as `peerdist hash` makes it.
  const auto content = random_content(70 * kMiB + 5, 8);
  const std::string path = dir_.write("big.bin", content);
  const std::size_t position = kMiB + 3;
  const ipc::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT
  ASSERT_TRUE(fd);
  ASSERT_EQ(::lseek(fd.get(), static_cast<off_t>(position), SEEK_SET),
            static_cast<off_t>(position));
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  const std::error_code published = instance->publish_file(
      fd.get(), as_bytes("big"), {},
      [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_FALSE(published) << published.message();
  const std::span<const std::uint8_t> tail = std::span(content).subspan(position);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(std::uint64_t{tail.size()}, std::uint64_t{tail.size()}));
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  // As after reading it: the descriptor's position is at the end.
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), static_cast<off_t>(content.size()));
  for (const auto version : {Version::v1, Version::v2}) {
    const auto v = static_cast<std::uint32_t>(version);
    auto reader = instance->open_content_information(as_bytes("big"), {}, VersionRange{v, v});
    ASSERT_TRUE(reader) << reader.error().message();
    auto ci = reader->read_all();
    ASSERT_TRUE(ci);
    EXPECT_EQ(*ci, expected_ci(tail, version));
  }
}

TEST_F(Publish, CxxPublishFileCopiesWhatTheDaemonDoesNotRead) {
  // A pipe (and a file opened read-write) go through the shared ring, copied, as before.
  const auto content = random_content(5 * kMiB + 77, 9);
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  int pipe_fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const ipc::UniqueFd read_end(pipe_fds[0]);
  std::thread writer([&, write_end = ipc::UniqueFd(pipe_fds[1])] {
    std::span<const std::uint8_t> left(content);
    while (!left.empty()) {
      const ssize_t n = ::write(write_end.get(), left.data(), left.size());
      if (n <= 0) break;
      left = left.subspan(static_cast<std::size_t>(n));
    }
  });
  const std::error_code published = instance->publish_file(read_end.get(), as_bytes("pipe"));
  writer.join();
  ASSERT_FALSE(published) << published.message();
  const std::string path = dir_.write("rw.bin", content);
  const ipc::UniqueFd writable(::open(path.c_str(), O_RDWR | O_CLOEXEC));  // NOLINT
  ASSERT_FALSE(instance->publish_file(writable.get(), as_bytes("rw")));
  for (const char* id : {"pipe", "rw"}) {
    auto reader = instance->open_content_information(as_bytes(id), {}, VersionRange{1, 1});
    ASSERT_TRUE(reader);
    auto ci = reader->read_all();
    ASSERT_TRUE(ci);
    EXPECT_EQ(*ci, expected_ci(content, Version::v1)) << id;
  }
}

TEST_F(Publish, CxxPublishFileOfAFileTruncatedMeanwhileFailsAndTheDaemonLives) {
  // The file shrinks to 1 MiB once the first piece is done: later pieces lie past its end, or
  // their pages vanish while the daemon hashes them (its SIGBUS handler catches that). Either
  // way the publication fails with PEERDIST_ERROR_OUT_OF_BOUNDS and nothing is published.
  const auto content = random_content(256 * kMiB, 10);
  const std::string path = dir_.write("shrinking.bin", content);
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  bool truncated = false;
  const std::error_code published = instance->publish_file(
      path, as_bytes("shrinking"), {}, [&](std::uint64_t done, std::uint64_t /*total*/) {
        if (!truncated && done > 0) {
          truncated = ::truncate(path.c_str(), static_cast<off_t>(kMiB)) == 0;
        }
      });
  ASSERT_TRUE(truncated);
  EXPECT_EQ(published, win32_error(PEERDIST_ERROR_OUT_OF_BOUNDS)) << published.message();
  EXPECT_FALSE(instance->open_content_information(as_bytes("shrinking")));
  // The daemon is alive and well: the same identifier publishes now.
  const auto small = random_content(kMiB, 11);
  const std::string other = dir_.write("small.bin", small);
  ASSERT_FALSE(instance->publish_file(other, as_bytes("shrinking")));
  auto reader = instance->open_content_information(as_bytes("shrinking"), {}, VersionRange{2, 2});
  ASSERT_TRUE(reader);
  auto ci = reader->read_all();
  ASSERT_TRUE(ci);
  EXPECT_EQ(*ci, expected_ci(small, Version::v2));
}

TEST_F(Publish, CxxZeroCopyBuffersAndQueuedAdds) {
  const auto content = random_content(6 * kMiB, 7);
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  auto stream = instance->publish(as_bytes("buffers"), {.content_length = content.size()});
  ASSERT_TRUE(stream);
  std::vector<std::future<std::error_code>> adds;
  for (std::size_t done = 0; done < content.size(); done += 3 * kMiB / 2) {
    const std::size_t n = std::min<std::size_t>(3 * kMiB / 2, content.size() - done);
    auto buffer = stream->buffer(n);
    ASSERT_TRUE(buffer);
    EXPECT_TRUE(buffer->shared());
    std::copy_n(content.begin() + static_cast<std::ptrdiff_t>(done), n, buffer->data().begin());
    adds.push_back(stream->add(std::move(*buffer), n));  // several in flight
  }
  for (auto& add : adds) EXPECT_FALSE(add.get());
  EXPECT_FALSE(stream->complete().get());
  EXPECT_FALSE(stream->close());
  const auto got = read_ci(instance_, "buffers", {.versions = versions(2, 2)});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, expected_ci(content, Version::v2));

  // Copying adds, callback flavour, and a status.
  auto second = instance->publish(as_bytes("copied"));
  ASSERT_TRUE(second);
  std::atomic<int> completed{0};
  std::promise<std::error_code> last;
  EXPECT_FALSE(second->add(std::span(content).first(kMiB), [&](std::error_code e, std::size_t n) {
    EXPECT_FALSE(e);
    EXPECT_EQ(n, kMiB);
    ++completed;
  }));
  EXPECT_FALSE(second->add(std::span(content).subspan(kMiB), [&](std::error_code e, std::size_t) {
    ++completed;
    last.set_value(e);
  }));
  EXPECT_FALSE(last.get_future().get());
  EXPECT_EQ(completed.load(), 2);
  EXPECT_FALSE(second->complete().get());
  const auto status = instance->status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, ServiceStatus::available);
  EXPECT_EQ(status->min_content_info_version, 1U);
  EXPECT_EQ(status->max_content_info_version, 2U);
  const auto info = instance->service_info();
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->front(), '{');
  EXPECT_NE(info->find("\"state_dir\""), std::string::npos) << *info;
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
