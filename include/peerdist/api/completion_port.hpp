// An I/O completion port: a FIFO of completion packets that any number of threads dequeue.
// Behind CreateIoCompletionPort / GetQueuedCompletionStatus / PostQueuedCompletionStatus, and
// the target of PeerDist completions (complete_overlapped).
#pragma once

#include <peerdist_win32.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "peerdist/api/event_fd.hpp"
#include "peerdist/api/handle_table.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::api {

// What GetQueuedCompletionStatus returns for one operation. status is a Win32 code:
// ERROR_SUCCESS makes GetQueuedCompletionStatus return TRUE, anything else FALSE with that code.
struct CompletionPacket {
  DWORD status = ERROR_SUCCESS;
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  OVERLAPPED* overlapped = nullptr;
};

class CompletionPort final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::completion_port;

  // A new port, or ERROR_TOO_MANY_OPEN_FILES / ERROR_NOT_ENOUGH_MEMORY when its eventfd
  // cannot be made. Throws std::bad_alloc.
  [[nodiscard]] static Expected<std::shared_ptr<CompletionPort>, DWORD> create();

  explicit CompletionPort(EventFd readiness) noexcept;
  CompletionPort(const CompletionPort&) = delete;
  CompletionPort& operator=(const CompletionPort&) = delete;
  CompletionPort(CompletionPort&&) = delete;
  CompletionPort& operator=(CompletionPort&&) = delete;
  ~CompletionPort() override;

  // Queues a packet and wakes one waiter. False when the port is closed (the packet is
  // dropped, as Windows drops packets for a port whose last handle is gone). Throws
  // std::bad_alloc.
  bool post(const CompletionPacket& packet);

  enum class Dequeue { packet, timed_out, closed };
  // Takes the oldest packet, waiting up to timeout_ms (INFINITE: forever, 0: no wait).
  // `closed` when the port is closed before or during the wait.
  [[nodiscard]] Dequeue dequeue(CompletionPacket& out, DWORD timeout_ms);

  // Discards queued packets, refuses new ones and wakes every waiter with `closed`.
  void close() noexcept;

  [[nodiscard]] std::size_t queued() const;
  // Threads inside dequeue() right now (for tests and diagnostics).
  [[nodiscard]] std::size_t waiters() const;

  [[nodiscard]] DWORD close_handle_error() const noexcept override { return ERROR_SUCCESS; }
  void on_handle_closed() noexcept override { close(); }
  // Readable exactly while packets are queued: the eventfd counts them (EFD_SEMAPHORE), and
  // both change together under the mutex.
  [[nodiscard]] int poll_fd() const noexcept override;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<CompletionPacket> packets_;
  bool closed_ = false;
  std::size_t waiters_ = 0;
  EventFd readiness_;
};

}  // namespace peerdist::api
