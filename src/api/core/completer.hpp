// How one asynchronous operation tells its caller it is done: through the caller's OVERLAPPED
// (the C API: port and key bound to the handle, spec §1.2) or through a callback (the C++ API).
// Exactly one of the two, and exactly once (docs/api.md: "Exactly one completion per
// operation, ever").
#pragma once

#include <peerdist_win32.h>

#include <cstdint>
#include <functional>

namespace peerdist::api {

// What a completion carries (docs/ipc.md rule 2): status becomes OVERLAPPED.Internal, bytes
// InternalHigh, offset Offset/OffsetHigh.
struct OpResult {
  DWORD status = ERROR_SUCCESS;
  DWORD bytes = 0;
  std::uint64_t offset = 0;
};

class Completer {
 public:
  using Callback = std::function<void(const OpResult&)>;

  Completer() = default;
  // writes_offset: whether this kind of operation reports a position in Offset/OffsetHigh
  // (AddToStream, CompleteStream, RetrieveContentInformation); a status notification leaves the
  // OVERLAPPED's Offset alone (spec §1.3: "not documented").
  Completer(OVERLAPPED* overlapped, HANDLE port, ULONG_PTR key, bool writes_offset) noexcept
      : overlapped_(overlapped), port_(port), key_(key), writes_offset_(writes_offset) {}
  explicit Completer(Callback callback) noexcept : callback_(std::move(callback)) {}

  [[nodiscard]] OVERLAPPED* overlapped() const noexcept { return overlapped_; }

  // The operation starts: Internal = STATUS_PENDING and the event reset (mark_pending). Called
  // once every synchronous check has passed and before anything can complete the operation.
  void begin() noexcept;

  // Delivers the result. Never throws: a callback that throws terminates the program, since
  // there is nowhere to report the exception (it runs on the library's receiver thread).
  void complete(const OpResult& given) noexcept;

 private:
  OVERLAPPED* overlapped_ = nullptr;
  HANDLE port_ = nullptr;
  ULONG_PTR key_ = 0;
  bool writes_offset_ = false;
  Callback callback_;
};

}  // namespace peerdist::api
