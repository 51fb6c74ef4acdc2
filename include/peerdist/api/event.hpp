// A Win32 event: manual-reset (stays set until ResetEvent, releases every waiter) or
// auto-reset (a successful wait consumes the signal and releases one waiter). Behind
// CreateEvent / SetEvent / ResetEvent / WaitForSingleObject, and signalled by
// complete_overlapped for OVERLAPPED.hEvent.
#pragma once

#include <peerdist_win32.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include "peerdist/api/event_fd.hpp"
#include "peerdist/api/handle_table.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::api {

class Event final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::event;

  // A new event, or ERROR_TOO_MANY_OPEN_FILES / ERROR_NOT_ENOUGH_MEMORY when its eventfd
  // cannot be made. Throws std::bad_alloc.
  [[nodiscard]] static Expected<std::shared_ptr<Event>, DWORD> create(bool manual_reset,
                                                                      bool initially_set);

  Event(EventFd readiness, bool manual_reset, bool initially_set) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&&) = delete;
  Event& operator=(Event&&) = delete;
  ~Event() override;

  void set() noexcept;
  void reset() noexcept;
  // True when the event is or becomes set within timeout_ms (INFINITE: forever, 0: no wait);
  // an auto-reset event is reset by the successful wait.
  [[nodiscard]] bool wait(DWORD timeout_ms);

  [[nodiscard]] bool is_set() const;
  [[nodiscard]] bool manual_reset() const noexcept { return manual_reset_; }
  // Threads inside wait() right now (for tests and diagnostics).
  [[nodiscard]] std::size_t waiters() const;

  // Closing the handle does not wake waiters: on Windows a wait holds its own reference to
  // the object, so it goes on until the event is set through another path or the wait times
  // out.
  [[nodiscard]] DWORD close_handle_error() const noexcept override { return ERROR_SUCCESS; }
  // Readable exactly while the event is set.
  [[nodiscard]] int poll_fd() const noexcept override;

 private:
  void clear_locked() noexcept;

  const bool manual_reset_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
  std::size_t waiters_ = 0;
  EventFd readiness_;
};

}  // namespace peerdist::api
