// The answer to one request, as the service core produces it: the fields of the protocol's
// Result message (docs/ipc.md), without the framing, so the core is tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "peerdist_win32.h"

namespace peerdist::service {

// Win32 codes peerdist_win32.h does not define (the daemon needs them only for failures of its
// own storage), with their winerror.h values.
inline constexpr std::uint32_t kErrorDiskFull = 112;  // ERROR_DISK_FULL

struct Reply {
  std::uint32_t status = ERROR_SUCCESS;  // Win32 / PEERDIST_ERROR_* code
  std::uint64_t value = 0;               // a handle id, a status, or a position in the CI
  std::uint32_t bytes = 0;               // bytes transferred
  std::vector<std::uint8_t> data;        // a content-information piece

  [[nodiscard]] static Reply success(std::uint64_t value = 0, std::uint32_t bytes = 0) {
    return Reply{ERROR_SUCCESS, value, bytes, {}};
  }
  // A failure carries nothing else (docs/ipc.md: "the rest 0 / empty").
  [[nodiscard]] static Reply failure(std::uint32_t status) { return Reply{status, 0, 0, {}}; }
  [[nodiscard]] bool ok() const noexcept { return status == ERROR_SUCCESS; }
};

// Called exactly once per request, on the service's executor (the network thread).
using ReplyHandler = std::function<void(Reply)>;

}  // namespace peerdist::service
