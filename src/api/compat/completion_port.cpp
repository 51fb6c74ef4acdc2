#include "peerdist/api/completion_port.hpp"

#include <peerdist_compat.h>

#include <memory>
#include <utility>

#include "peerdist/api/last_error.hpp"

#include "timed_wait.hpp"

namespace peerdist::api {

Expected<std::shared_ptr<CompletionPort>, DWORD> CompletionPort::create() {
  auto readiness = EventFd::open(/*semaphore=*/true);
  if (!readiness) return Unexpected(readiness.error());
  return std::make_shared<CompletionPort>(std::move(*readiness));
}

CompletionPort::CompletionPort(EventFd readiness) noexcept
    : HandleObject(kKind), readiness_(std::move(readiness)) {}

CompletionPort::~CompletionPort() = default;

bool CompletionPort::post(const CompletionPacket& packet) {
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return false;
    packets_.push_back(packet);
    readiness_.add();
  }
  ready_.notify_one();
  return true;
}

CompletionPort::Dequeue CompletionPort::dequeue(CompletionPacket& out, DWORD timeout_ms) {
  std::unique_lock lock(mutex_);
  ++waiters_;
  const bool woken =
      wait_for_ms(ready_, lock, timeout_ms, [this] { return closed_ || !packets_.empty(); });
  --waiters_;
  if (closed_) return Dequeue::closed;
  if (!woken) return Dequeue::timed_out;
  out = packets_.front();
  packets_.pop_front();
  readiness_.take();
  return Dequeue::packet;
}

void CompletionPort::close() noexcept {
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    // Windows frees the packets of a port whose last handle is closed; nobody can dequeue
    // them any more. The eventfd goes back to 0 with them.
    for (std::size_t i = 0; i < packets_.size(); ++i) readiness_.take();
    packets_.clear();
  }
  ready_.notify_all();
}

std::size_t CompletionPort::queued() const {
  const std::lock_guard lock(mutex_);
  return packets_.size();
}

std::size_t CompletionPort::waiters() const {
  const std::lock_guard lock(mutex_);
  return waiters_;
}

int CompletionPort::poll_fd() const noexcept {
  return readiness_.fd();
}

}  // namespace peerdist::api

extern "C" {

HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads) {
  using namespace peerdist::api;
  // The key only matters when associating a file, and the thread limit is not enforced.
  static_cast<void>(CompletionKey);
  static_cast<void>(NumberOfConcurrentThreads);
  // Only "create a new port" exists here: PeerDist binds ports when it creates its handles
  // (spec §1.2), and there are no Win32 file handles to associate.
  if (FileHandle != INVALID_HANDLE_VALUE || ExistingCompletionPort != nullptr) {
    return fail<HANDLE>(ERROR_INVALID_PARAMETER, nullptr);
  }
  try {
    auto port = peerdist::api::CompletionPort::create();
    if (!port) return fail<HANDLE>(port.error(), nullptr);
    return handle_table().insert(std::move(*port));
  } catch (...) {
    return fail<HANDLE>(error_from_current_exception(), nullptr);
  }
}

BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED* lpOverlapped,
                                      DWORD dwMilliseconds) {
  using namespace peerdist::api;
  if (lpNumberOfBytesTransferred == nullptr || lpCompletionKey == nullptr ||
      lpOverlapped == nullptr) {
    if (lpOverlapped != nullptr) *lpOverlapped = nullptr;
    return fail(ERROR_INVALID_PARAMETER, FALSE);
  }
  // Windows reports "nothing dequeued" with *lpOverlapped == NULL, whatever the reason.
  *lpOverlapped = nullptr;
  try {
    // The shared_ptr keeps the port alive through the wait even if another thread closes the
    // handle; close() then wakes this wait.
    const auto port = handle_table().lookup<peerdist::api::CompletionPort>(CompletionPort);
    if (port == nullptr) return fail(ERROR_INVALID_HANDLE, FALSE);
    CompletionPacket packet;
    switch (port->dequeue(packet, dwMilliseconds)) {
      case peerdist::api::CompletionPort::Dequeue::timed_out: return fail(WAIT_TIMEOUT, FALSE);
      // What Windows returns to a wait whose port handle was closed under it.
      case peerdist::api::CompletionPort::Dequeue::closed:
        return fail(ERROR_ABANDONED_WAIT_0, FALSE);
      case peerdist::api::CompletionPort::Dequeue::packet: break;
    }
    // A failed operation still reports its byte count and key (spec Q3); the caller tells it
    // from "nothing dequeued" by *lpOverlapped != NULL.
    *lpNumberOfBytesTransferred = packet.bytes;
    *lpCompletionKey = packet.key;
    *lpOverlapped = packet.overlapped;
    return packet.status == ERROR_SUCCESS ? TRUE : fail(packet.status, FALSE);
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped) {
  using namespace peerdist::api;
  try {
    const auto port = handle_table().lookup<peerdist::api::CompletionPort>(CompletionPort);
    const CompletionPacket packet{.status = ERROR_SUCCESS,
                                  .bytes = dwNumberOfBytesTransferred,
                                  .key = dwCompletionKey,
                                  .overlapped = lpOverlapped};
    // A port closed between the lookup and the post is as good as closed before the call.
    if (port == nullptr || !port->post(packet)) return fail(ERROR_INVALID_HANDLE, FALSE);
    return TRUE;
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

}  // extern "C"
