// An eventfd used only as a readiness signal for poll/epoll (PeerDistCompatGetPollFd). The
// owner changes it under its own mutex together with the state it mirrors, so the descriptor
// is readable exactly while that state says "signalled".
#pragma once

#include <peerdist_win32.h>

#include "peerdist/util/expected.hpp"

namespace peerdist::api {

class EventFd {
 public:
  // semaphore: each take() removes one add() (a port counts packets); otherwise take()
  // clears every add() (an event is set or not). Fails with a Win32 code rather than an
  // exception (ERROR_TOO_MANY_OPEN_FILES when out of descriptors, else
  // ERROR_NOT_ENOUGH_MEMORY), so running out of descriptors is an ordinary return path.
  [[nodiscard]] static Expected<EventFd, DWORD> open(bool semaphore) noexcept;

  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  EventFd(EventFd&& other) noexcept;
  EventFd& operator=(EventFd&& other) noexcept;
  ~EventFd();

  [[nodiscard]] int fd() const noexcept { return fd_; }
  // Callers keep the count in step with their state, so neither call can block (the
  // descriptor is non-blocking anyway) or overflow the 64-bit counter.
  void add() const noexcept;
  void take() const noexcept;

 private:
  explicit EventFd(int fd) noexcept : fd_(fd) {}
  int fd_;
};

}  // namespace peerdist::api
