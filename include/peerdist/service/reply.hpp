// The answer to one request, as the service core produces it: the fields of the protocol's
// Result message (docs/ipc.md), without the framing, so the core is tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "peerdist_win32.h"

namespace peerdist::service {

// Win32 codes peerdist_win32.h does not define (the daemon needs them only for failures of its
// own storage), with their winerror.h values.
inline constexpr std::uint32_t kErrorDiskFull = 112;  // ERROR_DISK_FULL

// Bytes a Reply carries where they already lie, not copied into it: the session writes them to
// the socket from there (a read's blocks, up to 4 MiB a Result, would otherwise be copied twice
// on the network thread: into the Reply, then into the frame).
struct ReplyPiece {
  std::shared_ptr<const void> owner;  // keeps `bytes` alive
  std::span<const std::uint8_t> bytes;
};

struct Reply {
  std::uint32_t status = ERROR_SUCCESS;  // Win32 / PEERDIST_ERROR_* code
  std::uint64_t value = 0;               // a handle id, a status, or a position in the CI
  std::uint32_t bytes = 0;               // bytes transferred
  std::vector<std::uint8_t> data;        // a content-information piece
  // More of Result.data, after `data`: a read's bytes, where they lie.
  std::vector<ReplyPiece> pieces;

  [[nodiscard]] static Reply success(std::uint64_t value = 0, std::uint32_t bytes = 0) {
    return Reply{ERROR_SUCCESS, value, bytes, {}, {}};
  }
  // A failure carries nothing else (docs/ipc.md: "the rest 0 / empty").
  [[nodiscard]] static Reply failure(std::uint32_t status) { return Reply{status, 0, 0, {}, {}}; }
  [[nodiscard]] bool ok() const noexcept { return status == ERROR_SUCCESS; }

  // The size of Result.data: `data` and the pieces.
  [[nodiscard]] std::size_t data_size() const noexcept {
    std::size_t size = data.size();
    for (const ReplyPiece& piece : pieces) size += piece.bytes.size();
    return size;
  }
  // Result.data in one vector (tests, and whoever needs the bytes together).
  [[nodiscard]] std::vector<std::uint8_t> all_data() const {
    std::vector<std::uint8_t> out;
    out.reserve(data_size());
    out.insert(out.end(), data.begin(), data.end());
    for (const ReplyPiece& piece : pieces)
      out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
    return out;
  }
};

// Called exactly once per request, on the service's executor (the network thread).
using ReplyHandler = std::function<void(Reply)>;

}  // namespace peerdist::service
