#include "peerdist/ipc/unix_socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace peerdist::ipc {
namespace {

std::error_code last_errno() {
  return {errno, std::system_category()};
}

// Room for a few descriptors: a peer that sends more than the one we expect has them received
// and closed here (and is flagged), rather than only truncated.
constexpr std::size_t kFdRoom = 4;

}  // namespace

Expected<void, std::error_code> send_with_fd(int socket, std::span<const std::uint8_t> bytes,
                                             int fd) {
  // A descriptor travels with data; with nothing to send there is nothing to attach it to.
  if (bytes.empty()) return Unexpected(std::make_error_code(std::errc::invalid_argument));
  alignas(cmsghdr) std::array<unsigned char, CMSG_SPACE(sizeof(int))> control{};
  bool fd_pending = fd >= 0;
  std::size_t sent = 0;
  // Ends: every pass sends at least one byte, fails, or waits until the socket can take more.
  while (sent < bytes.size()) {
    iovec iov{};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): sendmsg only reads through it
    iov.iov_base = const_cast<std::uint8_t*>(bytes.data() + sent);
    iov.iov_len = bytes.size() - sent;
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd_pending) {
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    const ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // EWOULDBLOCK is the same value on Linux
        pollfd p{socket, POLLOUT, 0};
        if (::poll(&p, 1, -1) < 0 && errno != EINTR) return Unexpected(last_errno());
        continue;
      }
      return Unexpected(last_errno());
    }
    if (n == 0) return Unexpected(std::make_error_code(std::errc::io_error));
    // The kernel attached the descriptor to the bytes this call sent; the rest go without.
    fd_pending = false;
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

Expected<Received, std::error_code> recv_with_fd(int socket, std::span<std::uint8_t> buffer) {
  // Zero bytes would read as the end of the stream.
  if (buffer.empty()) return Unexpected(std::make_error_code(std::errc::invalid_argument));
  alignas(cmsghdr) std::array<unsigned char, CMSG_SPACE(sizeof(int) * kFdRoom)> control{};
  iovec iov{};
  iov.iov_base = buffer.data();
  iov.iov_len = buffer.size();
  msghdr msg{};
  ssize_t n = -1;
  // Ends: only EINTR repeats the call.
  do {
    msg = msghdr{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Unexpected(last_errno());

  Received out;
  out.bytes = static_cast<std::size_t>(n);
  // Descriptors are installed in our table on receipt, so each must be kept or closed here.
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
      if (!out.fd) {
        out.fd.emplace(fd);
      } else {
        UniqueFd extra(fd);  // closed at the end of this scope
        out.extra_fds = true;
      }
    }
  }
  // The kernel drops descriptors that did not fit (they never reach our table).
  if ((msg.msg_flags & MSG_CTRUNC) != 0) out.extra_fds = true;
  return out;
}

Expected<PeerCredentials, std::error_code> peer_credentials(int socket) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return Unexpected(last_errno());
  }
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

}  // namespace peerdist::ipc
