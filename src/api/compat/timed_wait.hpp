// Win32 millisecond timeouts on a condition variable: INFINITE waits forever, 0 only tests the
// predicate, anything else waits until a steady-clock deadline (immune to wall-clock jumps).
#pragma once

#include <peerdist_win32.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace peerdist::api {

// True when pred() holds on return; false when the time ran out first.
template <typename Predicate>
bool wait_for_ms(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, DWORD timeout_ms,
                 Predicate pred) {
  if (timeout_ms == INFINITE) {
    cv.wait(lock, pred);
    return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  return cv.wait_until(lock, deadline, pred);
}

}  // namespace peerdist::api
