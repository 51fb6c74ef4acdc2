// Helpers shared by the libpeerdist tests: where the library looks for the daemon, and bounded
// waits for completions.
#pragma once

#include <peerdist_compat.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {

// Upper bound for anything a test waits for; reached only when the code under test is broken.
inline constexpr DWORD kPatienceMs = 20'000;

// Points the library at `socket` (PEERDIST_SOCKET) for the lifetime of the object.
class SocketEnv {
 public:
  explicit SocketEnv(const std::string& socket) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): tests set it before any library call.
    ::setenv("PEERDIST_SOCKET", socket.c_str(), 1);
  }
  ~SocketEnv() { ::unsetenv("PEERDIST_SOCKET"); }  // NOLINT(concurrency-mt-unsafe)
  SocketEnv(const SocketEnv&) = delete;
  SocketEnv& operator=(const SocketEnv&) = delete;
  SocketEnv(SocketEnv&&) = delete;
  SocketEnv& operator=(SocketEnv&&) = delete;
};

// One packet from a completion port.
struct Packet {
  BOOL ok = FALSE;
  DWORD error = ERROR_SUCCESS;  // GetLastError when !ok
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  OVERLAPPED* overlapped = nullptr;
};

// The next packet, or nullopt when none came within `timeout_ms`.
inline std::optional<Packet> dequeue(HANDLE port, DWORD timeout_ms = kPatienceMs) {
  Packet p;
  p.ok = GetQueuedCompletionStatus(port, &p.bytes, &p.key, &p.overlapped, timeout_ms);
  if (p.overlapped == nullptr) return std::nullopt;
  p.error = p.ok ? ERROR_SUCCESS : GetLastError();
  return p;
}

// The status an OVERLAPPED completed with, waiting up to kPatienceMs; nullopt on a timeout.
inline std::optional<DWORD> wait_overlapped(OVERLAPPED& ov, DWORD* bytes = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kPatienceMs);
  while (!HasOverlappedIoCompleted(&ov)) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  DWORD transferred = 0;
  const BOOL ok = PeerDistGetOverlappedResult(&ov, &transferred, FALSE);
  if (bytes != nullptr) *bytes = transferred;
  return ok ? static_cast<DWORD>(ERROR_SUCCESS) : GetLastError();
}

inline std::uint64_t offset_of(const OVERLAPPED& ov) {
  return (static_cast<std::uint64_t>(ov.OffsetHigh) << 32U) | ov.Offset;
}

}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
