// SharedBuffer: the client's sealed memfd and the daemon's checks on a received descriptor.
#include "peerdist/ipc/shared_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "peerdist/ipc/errc.hpp"

namespace peerdist::ipc {
namespace {
// NOLINTBEGIN(cppcoreguidelines-pro-type-vararg): fcntl and open are variadic by definition

constexpr std::size_t kSize = std::size_t{64} * 1024;

// A second descriptor for the same file, as SCM_RIGHTS would give the daemon.
UniqueFd dup_of(int fd) {
  UniqueFd out(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  EXPECT_TRUE(out.valid());
  return out;
}

UniqueFd memfd(unsigned flags, std::size_t size) {
  UniqueFd fd(::memfd_create("shared-buffer-test", flags));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);
  return fd;
}

TEST(SharedBuffer, CreateSealsAndMapsWritable) {
  auto buffer = SharedBuffer::create(kSize);
  ASSERT_TRUE(buffer.has_value()) << buffer.error().message();
  EXPECT_EQ(buffer->size(), kSize);
  EXPECT_TRUE(buffer->writable());
  const int seals = ::fcntl(buffer->fd(), F_GET_SEALS);
  EXPECT_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_NE(::fcntl(buffer->fd(), F_GETFD) & FD_CLOEXEC, 0);
  // The seals hold: the file can be neither shrunk nor grown, nor sealed further.
  EXPECT_NE(::ftruncate(buffer->fd(), kSize / 2), 0);
  EXPECT_NE(::ftruncate(buffer->fd(), kSize * 2), 0);
  EXPECT_NE(::fcntl(buffer->fd(), F_ADD_SEALS, F_SEAL_WRITE), 0);
}

TEST(SharedBuffer, CreateRejectsZeroSize) {
  auto buffer = SharedBuffer::create(0);
  ASSERT_FALSE(buffer.has_value());
  EXPECT_EQ(buffer.error(), make_error_code(Errc::bad_size));
}

TEST(SharedBuffer, ReceivedMappingSeesTheCreatorsWrites) {
  auto client = SharedBuffer::create(kSize);
  ASSERT_TRUE(client.has_value());
  auto daemon = SharedBuffer::open_received(dup_of(client->fd()), kSize);
  ASSERT_TRUE(daemon.has_value()) << daemon.error().message();
  EXPECT_FALSE(daemon->writable());

  auto out = client->writable_span(kSize - 3, 3);
  ASSERT_TRUE(out.has_value());
  std::fill(out->begin(), out->end(), std::uint8_t{0xA5});
  auto in = daemon->span(kSize - 3, 3);
  ASSERT_TRUE(in.has_value());
  EXPECT_TRUE(std::all_of(in->begin(), in->end(), [](std::uint8_t b) { return b == 0xA5; }));
  // Later writes show too: it is one mapping of one file, not a copy.
  (*out)[0] = 0x11;
  EXPECT_EQ((*in)[0], 0x11);
}

TEST(SharedBuffer, RejectsAnUnsealedMemfd) {
  // Without MFD_ALLOW_SEALING the file only carries F_SEAL_SEAL: it could be shrunk.
  auto plain = SharedBuffer::open_received(memfd(MFD_CLOEXEC, kSize), kSize);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error(), make_error_code(Errc::not_sealed));

  // Sealable but sealed against only one of the two.
  for (const int seals : {0, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL}) {
    UniqueFd fd = memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING, kSize);
    if (seals != 0) {
      ASSERT_EQ(::fcntl(fd.get(), F_ADD_SEALS, seals), 0);
    }
    auto buffer = SharedBuffer::open_received(std::move(fd), kSize);
    ASSERT_FALSE(buffer.has_value()) << "seals " << seals;
    EXPECT_EQ(buffer.error(), make_error_code(Errc::not_sealed));
  }
}

TEST(SharedBuffer, RejectsWhatIsNotAMemfd) {
  std::array<int, 2> pipe_fds = {-1, -1};
  ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
  UniqueFd write_end(pipe_fds[1]);
  auto from_pipe = SharedBuffer::open_received(UniqueFd(pipe_fds[0]), kSize);
  ASSERT_FALSE(from_pipe.has_value());
  EXPECT_EQ(from_pipe.error(), make_error_code(Errc::not_sealed));

  auto from_nothing = SharedBuffer::open_received(UniqueFd(), kSize);
  EXPECT_FALSE(from_nothing.has_value());
}

TEST(SharedBuffer, RejectsAWrongSize) {
  auto client = SharedBuffer::create(kSize);
  ASSERT_TRUE(client.has_value());
  for (const std::uint64_t announced :
       {std::uint64_t{kSize - 1}, std::uint64_t{kSize + 1}, std::uint64_t{kSize} * 2}) {
    auto daemon = SharedBuffer::open_received(dup_of(client->fd()), announced);
    ASSERT_FALSE(daemon.has_value()) << announced;
    EXPECT_EQ(daemon.error(), make_error_code(Errc::size_mismatch));
  }
  auto zero = SharedBuffer::open_received(dup_of(client->fd()), 0);
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error(), make_error_code(Errc::bad_size));
}

TEST(SharedBuffer, SpanBounds) {
  auto client = SharedBuffer::create(kSize);
  ASSERT_TRUE(client.has_value());
  auto daemon = SharedBuffer::open_received(dup_of(client->fd()), kSize);
  ASSERT_TRUE(daemon.has_value());

  EXPECT_TRUE(daemon->span(0, kSize).has_value());
  EXPECT_TRUE(daemon->span(kSize, 0).has_value());
  EXPECT_EQ(daemon->span(10, 20)->size(), 20U);
  struct Range {
    std::uint64_t offset, length;
  };
  for (const Range r : {Range{0, kSize + 1}, Range{kSize, 1}, Range{kSize + 1, 0}, Range{1, kSize},
                        Range{0xFFFFFFFFFFFFFFFFULL, 2}, Range{2, 0xFFFFFFFFFFFFFFFFULL}}) {
    auto in = daemon->span(r.offset, r.length);
    ASSERT_FALSE(in.has_value()) << r.offset << "+" << r.length;
    EXPECT_EQ(in.error(), make_error_code(Errc::out_of_range));
    auto out = client->writable_span(r.offset, r.length);
    ASSERT_FALSE(out.has_value()) << r.offset << "+" << r.length;
    EXPECT_EQ(out.error(), make_error_code(Errc::out_of_range));
  }
}

TEST(SharedBuffer, DaemonSideIsReadOnly) {
  auto client = SharedBuffer::create(kSize);
  ASSERT_TRUE(client.has_value());
  auto daemon = SharedBuffer::open_received(dup_of(client->fd()), kSize);
  ASSERT_TRUE(daemon.has_value());
  auto out = daemon->writable_span(0, 1);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error(), make_error_code(Errc::read_only));
}

TEST(SharedBuffer, MoveTransfersOwnership) {
  auto created = SharedBuffer::create(kSize);
  ASSERT_TRUE(created.has_value());
  const int fd = created->fd();
  SharedBuffer a = std::move(*created);
  EXPECT_EQ(a.fd(), fd);
  EXPECT_EQ(a.size(), kSize);
  EXPECT_EQ(created->size(), 0U);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_FALSE(created->span(0, 1).has_value());

  auto other = SharedBuffer::create(kSize / 2);
  ASSERT_TRUE(other.has_value());
  const int other_fd = other->fd();
  a = std::move(*other);  // closes the first buffer's descriptor
  EXPECT_EQ(a.fd(), other_fd);
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(SharedBuffer, ErrorsHaveMessages) {
  for (const Errc e : {Errc::not_sealed, Errc::size_mismatch, Errc::out_of_range, Errc::read_only,
                       Errc::bad_size}) {
    EXPECT_NE(make_error_code(e).message(), "unknown ipc error");
  }
}

// NOLINTEND(cppcoreguidelines-pro-type-vararg)
}  // namespace
}  // namespace peerdist::ipc
