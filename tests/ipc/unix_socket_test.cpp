// Descriptor passing and peer credentials over a socketpair, the way the library hands the
// daemon its shared buffer.
#include "peerdist/ipc/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/shared_buffer.hpp"

namespace peerdist::ipc {
namespace {
// NOLINTBEGIN(cppcoreguidelines-pro-type-vararg): fcntl and open are variadic by definition

using Bytes = std::vector<std::uint8_t>;

struct SocketPair {
  UniqueFd client;
  UniqueFd daemon;
};

SocketPair socket_pair(int extra_flags = 0) {
  std::array<int, 2> fds = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0, fds.data()), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

// Reads exactly `n` bytes, collecting any descriptor that comes with them.
Bytes read_exactly(int socket, std::size_t n, std::optional<UniqueFd>& fd, bool& extra) {
  Bytes out(n);
  std::size_t got = 0;
  while (got < n) {  // ends: each pass reads at least one byte or fails the test
    auto r = recv_with_fd(socket, std::span<std::uint8_t>(out).subspan(got));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    if (!r || r->bytes == 0) break;
    got += r->bytes;
    if (r->fd) fd = std::move(r->fd);
    extra = extra || r->extra_fds;
  }
  out.resize(got);
  return out;
}

TEST(UnixSocket, HelloCarriesTheSharedBuffer) {
  auto pair = socket_pair();
  auto client_buffer = SharedBuffer::create(4096);
  ASSERT_TRUE(client_buffer.has_value());
  const std::string_view text = "written by the client";
  auto out = client_buffer->writable_span(100, text.size());
  ASSERT_TRUE(out.has_value());
  std::memcpy(out->data(), text.data(), text.size());

  const Bytes frame = encode_frame(1, Hello{1, 1, 2, static_cast<std::uint32_t>(::getpid()), 4096});
  ASSERT_TRUE(send_with_fd(pair.client.get(), frame, client_buffer->fd()).has_value());

  std::optional<UniqueFd> fd;
  bool extra = false;
  const Bytes got = read_exactly(pair.daemon.get(), frame.size(), fd, extra);
  EXPECT_EQ(got, frame);
  ASSERT_TRUE(fd.has_value());
  EXPECT_FALSE(extra);
  EXPECT_NE(fd->get(), client_buffer->fd());
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0) << "received without close-on-exec";

  auto daemon_buffer = SharedBuffer::open_received(std::move(*fd), 4096);
  ASSERT_TRUE(daemon_buffer.has_value()) << daemon_buffer.error().message();
  auto in = daemon_buffer->span(100, text.size());
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(std::memcmp(in->data(), text.data(), text.size()), 0);
}

TEST(UnixSocket, NoDescriptorSent) {
  auto pair = socket_pair();
  const Bytes frame = encode_frame(2, GetStatus{});
  ASSERT_TRUE(send_with_fd(pair.client.get(), frame, -1).has_value());
  std::optional<UniqueFd> fd;
  bool extra = false;
  EXPECT_EQ(read_exactly(pair.daemon.get(), frame.size(), fd, extra), frame);
  EXPECT_FALSE(fd.has_value());
  EXPECT_FALSE(extra);
}

TEST(UnixSocket, ExtraDescriptorsAreClosed) {
  auto pair = socket_pair();
  // Three descriptors in one message, as a hostile client might send.
  std::array<UniqueFd, 3> files;
  for (auto& f : files) {
    f.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(f.valid());
  }
  std::uint8_t byte = 0x42;
  iovec iov{&byte, 1};
  alignas(cmsghdr) std::array<unsigned char, CMSG_SPACE(sizeof(int) * 3)> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * 3);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const int fd = files[i].get();
    std::memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof fd);
  }
  ASSERT_EQ(::sendmsg(pair.client.get(), &msg, MSG_NOSIGNAL), 1);

  const std::size_t before = open_descriptors();
  std::array<std::uint8_t, 16> buffer{};
  auto received = recv_with_fd(pair.daemon.get(), buffer);
  ASSERT_TRUE(received.has_value()) << received.error().message();
  EXPECT_EQ(received->bytes, 1U);
  EXPECT_EQ(buffer[0], 0x42);
  EXPECT_TRUE(received->extra_fds);
  ASSERT_TRUE(received->fd.has_value());
  // Exactly one new descriptor in our table: the one handed back.
  EXPECT_EQ(open_descriptors(), before + 1);
  received->fd.reset();
  EXPECT_EQ(open_descriptors(), before);
}

TEST(UnixSocket, EndOfStreamIsZeroBytes) {
  auto pair = socket_pair();
  pair.client.reset();
  std::array<std::uint8_t, 8> buffer{};
  auto received = recv_with_fd(pair.daemon.get(), buffer);
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->bytes, 0U);
  EXPECT_FALSE(received->fd.has_value());
}

TEST(UnixSocket, ErrorsAreReturnedNotRaised) {
  auto pair = socket_pair(SOCK_NONBLOCK);
  std::array<std::uint8_t, 8> buffer{};
  auto nothing_yet = recv_with_fd(pair.daemon.get(), buffer);
  ASSERT_FALSE(nothing_yet.has_value());
  EXPECT_EQ(nothing_yet.error(), std::errc::resource_unavailable_try_again);

  // Sending to a closed peer is EPIPE, without a SIGPIPE that would kill the test.
  pair.daemon.reset();
  const Bytes frame = encode_frame(3, Shutdown{});
  auto sent = send_with_fd(pair.client.get(), frame, -1);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error(), std::errc::broken_pipe);

  EXPECT_FALSE(send_with_fd(pair.client.get(), {}, -1).has_value());
  EXPECT_FALSE(recv_with_fd(-1, buffer).has_value());
  EXPECT_FALSE(peer_credentials(-1).has_value());
}

TEST(UnixSocket, LargeSendOnANonBlockingSocketCompletes) {
  // More than a socket buffer holds: send_with_fd must wait for the reader rather than give up.
  auto pair = socket_pair(SOCK_NONBLOCK);
  const Bytes big(4U << 20U, 0x3C);
  auto buffer = SharedBuffer::create(4096);
  ASSERT_TRUE(buffer.has_value());
  std::optional<UniqueFd> fd;
  bool extra = false;
  Bytes got;
  std::thread reader([&] {
    ::fcntl(pair.daemon.get(), F_SETFL, 0);  // the reader blocks; the sender does not
    got = read_exactly(pair.daemon.get(), big.size(), fd, extra);
  });
  auto sent = send_with_fd(pair.client.get(), big, buffer->fd());
  reader.join();
  ASSERT_TRUE(sent.has_value()) << sent.error().message();
  EXPECT_EQ(got, big);
  EXPECT_TRUE(fd.has_value()) << "the descriptor went with the first piece";
  EXPECT_FALSE(extra);
}

TEST(UnixSocket, PeerCredentialsAreOurs) {
  auto pair = socket_pair();
  for (const int socket : {pair.client.get(), pair.daemon.get()}) {
    auto cred = peer_credentials(socket);
    ASSERT_TRUE(cred.has_value()) << cred.error().message();
    EXPECT_EQ(cred->pid, ::getpid());
    EXPECT_EQ(cred->uid, ::getuid());
    EXPECT_EQ(cred->gid, ::getgid());
  }
}

// NOLINTEND(cppcoreguidelines-pro-type-vararg)
}  // namespace
}  // namespace peerdist::ipc
