#include "peerdist/api/completion.hpp"

#include <peerdist_compat.h>

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "peerdist/api/completion_port.hpp"
#include "peerdist/api/event.hpp"
#include "peerdist/api/handle_table.hpp"
#include "peerdist/api/last_error.hpp"

namespace peerdist::api {
namespace {

// OVERLAPPED is a plain C struct shared with the application; the status word is the one
// field two threads use to hand the OVERLAPPED over, so it is accessed atomically.
static_assert(std::atomic_ref<ULONG_PTR>::required_alignment <= alignof(OVERLAPPED));

std::atomic_ref<ULONG_PTR> status_of(OVERLAPPED& ov) noexcept {
  return std::atomic_ref<ULONG_PTR>(ov.Internal);
}

// The event named by an hEvent value, ignoring the tag bits as Windows does (the handle table
// masks them).
std::shared_ptr<Event> event_of(HANDLE h_event) {
  return h_event == nullptr ? nullptr : handle_table().lookup<Event>(h_event);
}

// "Some operation completed": what GetOverlappedResult(bWait = TRUE) waits on. Windows waits
// on the file handle when the OVERLAPPED has no event; PeerDist has no file handle, so every
// completion wakes every such waiter and each re-checks its own OVERLAPPED. Never destroyed,
// for the same reason as the handle table.
struct CompletionSignal {
  std::mutex mutex;
  std::condition_variable completed;
};

CompletionSignal& completion_signal() {
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory,cppcoreguidelines-avoid-non-const-global-variables)
  static auto* const signal = new CompletionSignal;
  return *signal;
}

bool is_pending(OVERLAPPED& ov) noexcept {
  return status_of(ov).load(std::memory_order_acquire) == STATUS_PENDING;
}

}  // namespace

void mark_pending(OVERLAPPED* ov) noexcept {
  status_of(*ov).store(STATUS_PENDING, std::memory_order_release);
  try {
    if (const auto event = event_of(ov->hEvent)) event->reset();
  } catch (...) {
    // Only the lookup's lock can throw (std::system_error); a failed reset means a stale
    // signal, which GetOverlappedResult tolerates because it re-checks Internal.
  }
}

void complete_overlapped(OVERLAPPED* ov, DWORD status, DWORD bytes, HANDLE port,
                         ULONG_PTR key) noexcept {
  assert(ov != nullptr && status != STATUS_PENDING);
  // Read everything needed from *ov before publishing the status: from then on the OVERLAPPED
  // belongs to the application, which may reuse or free it at once.
  HANDLE h_event = ov->hEvent;
  const bool skip_port = (reinterpret_cast<std::uintptr_t>(h_event) & 1U) != 0;

  // Look the event up before taking the signal mutex, so no table lock is taken under it.
  std::shared_ptr<Event> event;
  try {
    event = event_of(h_event);
  } catch (...) {
    // Only the table lock can throw; the event then stays unsignalled, like a closed one.
  }

  CompletionSignal& signal = completion_signal();
  {
    // Publishing the status and setting the event under the signal mutex makes them one step
    // for GetOverlappedResult, which checks Internal under this mutex: once it sees the
    // operation complete, the event is set too, so it can consume an auto-reset signal.
    const std::lock_guard lock(signal.mutex);
    ov->InternalHigh = bytes;
    status_of(*ov).store(status, std::memory_order_release);
    if (event != nullptr) event->set();
  }
  signal.completed.notify_all();

  if (port != nullptr && !skip_port) {
    if (const auto target = handle_table().lookup<CompletionPort>(port)) {
      // Out of memory here terminates (noexcept): a lost packet would hang the program instead.
      static_cast<void>(target->post(
          CompletionPacket{.status = status, .bytes = bytes, .key = key, .overlapped = ov}));
    }
  }
}

}  // namespace peerdist::api

extern "C" {

BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                LPDWORD lpNumberOfBytesTransferred, BOOL bWait) {
  using namespace peerdist::api;
  // No file handle exists in the PeerDist API (spec §2.1, PeerDistGetOverlappedResult takes
  // none); Windows programs pass the PeerDist handle or NULL here.
  static_cast<void>(hFile);
  if (lpOverlapped == nullptr || lpNumberOfBytesTransferred == nullptr) {
    return fail(ERROR_INVALID_PARAMETER, FALSE);
  }
  try {
    OVERLAPPED& ov = *lpOverlapped;
    if (is_pending(ov)) {
      // Spec Q20: ERROR_IO_INCOMPLETE while pending, as kernel32 does.
      if (bWait == FALSE) return fail(ERROR_IO_INCOMPLETE, FALSE);
      // Windows waits on hEvent here, and a wait on a handle that is not an event fails.
      std::shared_ptr<Event> event;
      if (ov.hEvent != nullptr) {
        event = event_of(ov.hEvent);
        if (event == nullptr) return fail(ERROR_INVALID_HANDLE, FALSE);
      }
      // We wait on the process-wide completion signal rather than on the event: it cannot
      // miss this operation's completion even if the event's handle is closed meanwhile or
      // the event was already set for something else.
      CompletionSignal& signal = completion_signal();
      {
        std::unique_lock lock(signal.mutex);
        signal.completed.wait(lock, [&ov] { return !is_pending(ov); });
      }
      // Windows' wait on an auto-reset event consumes its signal; do the same so a later
      // wait on the event does not return for this completion. complete_overlapped set the
      // event before we could see the status, so the signal is there to take (unless another
      // waiter on the same event took it first, as could happen on Windows).
      if (event != nullptr && !event->manual_reset()) static_cast<void>(event->wait(0));
    }
    const auto status = static_cast<DWORD>(status_of(ov).load(std::memory_order_acquire));
    // The byte count is written even on failure (spec Q3, Q20).
    *lpNumberOfBytesTransferred = static_cast<DWORD>(ov.InternalHigh);
    return status == ERROR_SUCCESS ? TRUE : fail(status, FALSE);
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

}  // extern "C"
