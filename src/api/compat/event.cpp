#include "peerdist/api/event.hpp"

#include <peerdist_compat.h>

#include <memory>
#include <utility>

#include "peerdist/api/last_error.hpp"

#include "timed_wait.hpp"

namespace peerdist::api {

Expected<std::shared_ptr<Event>, DWORD> Event::create(bool manual_reset, bool initially_set) {
  auto readiness = EventFd::open(/*semaphore=*/false);
  if (!readiness) return Unexpected(readiness.error());
  return std::make_shared<Event>(std::move(*readiness), manual_reset, initially_set);
}

Event::Event(EventFd readiness, bool manual_reset, bool initially_set) noexcept
    : HandleObject(kKind), manual_reset_(manual_reset), readiness_(std::move(readiness)) {
  if (initially_set) set();
}

Event::~Event() = default;

void Event::set() noexcept {
  {
    const std::lock_guard lock(mutex_);
    if (set_) return;
    set_ = true;
    readiness_.add();
  }
  // A manual-reset event releases every waiter; an auto-reset one can satisfy only one.
  if (manual_reset_) {
    changed_.notify_all();
  } else {
    changed_.notify_one();
  }
}

void Event::reset() noexcept {
  const std::lock_guard lock(mutex_);
  clear_locked();
}

bool Event::wait(DWORD timeout_ms) {
  std::unique_lock lock(mutex_);
  ++waiters_;
  const bool woken = wait_for_ms(changed_, lock, timeout_ms, [this] { return set_; });
  --waiters_;
  if (!woken) return false;
  if (!manual_reset_) clear_locked();
  return true;
}

bool Event::is_set() const {
  const std::lock_guard lock(mutex_);
  return set_;
}

std::size_t Event::waiters() const {
  const std::lock_guard lock(mutex_);
  return waiters_;
}

int Event::poll_fd() const noexcept {
  return readiness_.fd();
}

void Event::clear_locked() noexcept {
  if (!set_) return;
  set_ = false;
  readiness_.take();
}

}  // namespace peerdist::api

namespace {

HANDLE create_event(BOOL manual_reset, BOOL initial_state) {
  using namespace peerdist::api;
  try {
    auto created = Event::create(manual_reset != FALSE, initial_state != FALSE);
    if (!created) return fail<HANDLE>(created.error(), nullptr);
    HANDLE event = handle_table().insert(std::move(*created));
    // Windows clears the last error when it creates a new (not already existing) named
    // object; programs test GetLastError() == ERROR_ALREADY_EXISTS after CreateEvent.
    set_last_error(ERROR_SUCCESS);
    return event;
  } catch (...) {
    return fail<HANDLE>(error_from_current_exception(), nullptr);
  }
}

}  // namespace

extern "C" {

// Names are ignored (see peerdist_compat.h), so the A and W forms are the same call.
HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCSTR lpName) {
  static_cast<void>(lpEventAttributes);
  static_cast<void>(lpName);
  return create_event(bManualReset, bInitialState);
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCWSTR lpName) {
  static_cast<void>(lpEventAttributes);
  static_cast<void>(lpName);
  return create_event(bManualReset, bInitialState);
}

BOOL WINAPI SetEvent(HANDLE hEvent) {
  using namespace peerdist::api;
  try {
    const auto event = handle_table().lookup<Event>(hEvent);
    if (event == nullptr) return fail(ERROR_INVALID_HANDLE, FALSE);
    event->set();
    return TRUE;
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

BOOL WINAPI ResetEvent(HANDLE hEvent) {
  using namespace peerdist::api;
  try {
    const auto event = handle_table().lookup<Event>(hEvent);
    if (event == nullptr) return fail(ERROR_INVALID_HANDLE, FALSE);
    event->reset();
    return TRUE;
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
  using namespace peerdist::api;
  try {
    // Events only: nothing else here is a waitable object, completion ports included (they
    // are read with GetQueuedCompletionStatus).
    const auto event = handle_table().lookup<Event>(hHandle);
    if (event == nullptr) return fail(ERROR_INVALID_HANDLE, WAIT_FAILED);
    return event->wait(dwMilliseconds) ? WAIT_OBJECT_0 : static_cast<DWORD>(WAIT_TIMEOUT);
  } catch (...) {
    return fail(error_from_current_exception(), WAIT_FAILED);
  }
}

}  // extern "C"
