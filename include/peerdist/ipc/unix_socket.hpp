// The two things a Unix stream socket does for the local protocol beyond read and write:
// passing the shared buffer's descriptor (SCM_RIGHTS) and telling the daemon who the client
// is (SO_PEERCRED), which is what publications are owned by.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::ipc {

// Sends every byte of `bytes` (non-empty), with `fd` attached to the first one (the receiver
// gets its own descriptor for the same file; ours stays open); fd < 0 attaches none. Retries EINTR
// and partial writes; on a non-blocking socket it waits with poll() until the socket takes more, so
// it returns only when everything is sent or on an error. Never raises SIGPIPE (EPIPE is returned
// instead). The descriptor arrives with the first byte of `bytes`, so send a frame whole and the
// receiver knows which frame it came with.
[[nodiscard]] Expected<void, std::error_code> send_with_fd(int socket,
                                                           std::span<const std::uint8_t> bytes,
                                                           int fd);

struct Received {
  std::size_t bytes = 0;  // 0: the peer closed the connection
  std::optional<UniqueFd> fd;
  // More than one descriptor came (all but the first are closed already), or some were cut off
  // for want of room; either way the peer broke the protocol.
  bool extra_fds = false;
};

// One recvmsg(): up to buffer.size() (> 0) bytes and, if one came with them, a descriptor (received
// close-on-exec). Retries EINTR; other errors, EAGAIN included, are returned.
[[nodiscard]] Expected<Received, std::error_code> recv_with_fd(int socket,
                                                               std::span<std::uint8_t> buffer);

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The credentials the peer had when it connected (or called socketpair), from the kernel.
[[nodiscard]] Expected<PeerCredentials, std::error_code> peer_credentials(int socket);

}  // namespace peerdist::ipc
