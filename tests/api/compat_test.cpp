// The Win32 compatibility layer: handle table, last error, completion ports, events,
// complete_overlapped / mark_pending and GetOverlappedResult. Every wait is bounded; timing is
// only ever checked as "did not return before it was signalled".
#include <peerdist_compat.h>
#include <poll.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "peerdist/api/completion.hpp"
#include "peerdist/api/completion_port.hpp"
#include "peerdist/api/event.hpp"
#include "peerdist/api/handle_table.hpp"
#include "peerdist/api/last_error.hpp"

namespace peerdist::api {
namespace {

using namespace std::chrono_literals;

// Upper bound for anything a test waits for; only reached when the code under test is broken.
constexpr auto kPatience = 10s;
// A wait that is expected to time out.
constexpr DWORD kShortMs = 20;
// Milliseconds given to blocking calls that must be released by another thread: long enough
// never to expire in a passing run, short enough that a broken run still ends.
constexpr DWORD kBoundedMs = 10'000;
constexpr DWORD kSentinelBytes = 0xFFFFFFFF;
// Several tests block without a timeout (INFINITE, GetOverlappedResult with bWait), as Windows
// programs do. If the code under test is broken they would hang; the watchdog ends the run.
constexpr auto kHangLimit = 60s;

class Watchdog {
 public:
  Watchdog()
      : thread_([](const std::stop_token& stop) {
          std::mutex mutex;
          std::condition_variable_any never;
          std::unique_lock lock(mutex);
          static_cast<void>(never.wait_for(lock, stop, kHangLimit, [] { return false; }));
          if (!stop.stop_requested()) {
            std::fputs("compat_test: a blocking call never returned\n", stderr);
            std::abort();
          }
        }) {}

 private:
  std::jthread thread_;
};

// Every test runs under a watchdog, destroyed after the test's own threads are joined.
class Watched : public ::testing::Test {
 private:
  Watchdog watchdog_;
};
using CompatHeader = Watched;
using CompatHandleTable = Watched;
using CompatLastError = Watched;
using CompatPort = Watched;
using CompatEvent = Watched;
using CompatCompletion = Watched;
using CompatOverlappedResult = Watched;

// Polls cond until it holds or kPatience runs out; returns cond().
template <typename Cond>
bool eventually(Cond cond) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

bool readable(int fd) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  const int n = ::poll(&p, 1, 0);
  return n == 1 && (p.revents & POLLIN) != 0;
}

HANDLE tagged(HANDLE h, std::uintptr_t bits) {
  return reinterpret_cast<HANDLE>(reinterpret_cast<std::uintptr_t>(h) | bits);
}

std::uintptr_t value_of(HANDLE h) {
  return reinterpret_cast<std::uintptr_t>(h);
}

// Owns a port or event handle for one test.
class Handle {
 public:
  explicit Handle(HANDLE h) : h_(h) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&&) = delete;
  Handle& operator=(Handle&&) = delete;
  ~Handle() {
    if (h_ != nullptr) CloseHandle(h_);
  }
  [[nodiscard]] HANDLE get() const { return h_; }
  // For tests that close the handle themselves.
  HANDLE release() { return std::exchange(h_, nullptr); }

 private:
  HANDLE h_;
};

HANDLE new_port() {
  return CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
}
HANDLE new_event(bool manual, bool set) {
  return CreateEventA(nullptr, manual ? TRUE : FALSE, set ? TRUE : FALSE, nullptr);
}

// One GetQueuedCompletionStatus call, all outputs captured.
struct Dequeued {
  BOOL ok = FALSE;
  DWORD error = ERROR_SUCCESS;
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  OVERLAPPED* overlapped = nullptr;
};

Dequeued dequeue(HANDLE port, DWORD ms) {
  Dequeued d;
  // Poison the outputs so a test sees which ones the call wrote.
  d.bytes = 0xDEAD;
  d.key = 0xBEEF;
  OVERLAPPED poison{};
  d.overlapped = &poison;
  SetLastError(ERROR_SUCCESS);
  d.ok = GetQueuedCompletionStatus(port, &d.bytes, &d.key, &d.overlapped, ms);
  d.error = GetLastError();
  return d;
}

// A PeerDist-like handle type: registered in the same table, closed by its own function.
class FakeContent final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_content;
  FakeContent() : HandleObject(kKind) {}
};

// A closable object that counts its close hook.
class CountingObject final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_stream;
  explicit CountingObject(std::atomic<int>& closes) : HandleObject(kKind), closes_(closes) {}
  [[nodiscard]] DWORD close_handle_error() const noexcept override { return ERROR_SUCCESS; }
  void on_handle_closed() noexcept override { closes_.fetch_add(1); }

 private:
  std::atomic<int>& closes_;
};

// ---- Headers --------------------------------------------------------------------------------

TEST_F(CompatHeader, OverlappedHasTheWindowsX64Layout) {
  EXPECT_EQ(sizeof(OVERLAPPED), 32U);
  EXPECT_EQ(offsetof(OVERLAPPED, Internal), 0U);
  EXPECT_EQ(offsetof(OVERLAPPED, InternalHigh), 8U);
  EXPECT_EQ(offsetof(OVERLAPPED, Offset), 16U);
  EXPECT_EQ(offsetof(OVERLAPPED, OffsetHigh), 20U);
  EXPECT_EQ(offsetof(OVERLAPPED, Pointer), 16U);
  EXPECT_EQ(offsetof(OVERLAPPED, hEvent), 24U);
  OVERLAPPED ov{};
  ov.Offset = 0x11223344;
  ov.OffsetHigh = 0x55667788;
  // Offset/OffsetHigh and Pointer share storage, little-endian: Offset is the low half.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(ov.Pointer), 0x5566778811223344U);
}

TEST_F(CompatHeader, TypesHaveWindowsSizes) {
  EXPECT_EQ(sizeof(BYTE), 1U);
  EXPECT_EQ(sizeof(WORD), 2U);
  EXPECT_EQ(sizeof(DWORD), 4U);
  EXPECT_EQ(sizeof(BOOL), 4U);
  EXPECT_EQ(sizeof(LONG), 4U);
  EXPECT_EQ(sizeof(ULONG), 4U);
  EXPECT_EQ(sizeof(ULONGLONG), 8U);
  EXPECT_EQ(sizeof(ULONG_PTR), sizeof(void*));
  EXPECT_EQ(sizeof(DWORD_PTR), sizeof(void*));
  EXPECT_EQ(sizeof(HANDLE), sizeof(void*));
  EXPECT_EQ(sizeof(WCHAR), 2U);
  EXPECT_EQ(sizeof(SECURITY_ATTRIBUTES), 24U);
  EXPECT_EQ(value_of(INVALID_HANDLE_VALUE), ~std::uintptr_t{0});
}

TEST_F(CompatHeader, WordMacrosMatchWindows) {
  EXPECT_EQ(MAKEWORD(1, 0), 0x0001);
  EXPECT_EQ(MAKEWORD(0x12, 0x34), 0x3412);
  EXPECT_EQ(MAKEWORD(0x1FF, 0x2FF), 0xFFFF);  // each part is truncated to a byte
  EXPECT_EQ(static_cast<DWORD>(MAKELONG(2, 0)), 0x00000002U);
  EXPECT_EQ(static_cast<DWORD>(MAKELONG(0x1234, 0xABCD)), 0xABCD1234U);
  EXPECT_EQ(LOWORD(0xABCD1234U), 0x1234);
  EXPECT_EQ(HIWORD(0xABCD1234U), 0xABCD);
}

TEST_F(CompatHeader, ConstantsHaveWindowsValues) {
  EXPECT_EQ(INFINITE, 0xFFFFFFFFU);
  EXPECT_EQ(WAIT_OBJECT_0, 0U);
  EXPECT_EQ(WAIT_TIMEOUT, 258);
  EXPECT_EQ(WAIT_FAILED, 0xFFFFFFFFU);
  EXPECT_EQ(STATUS_PENDING, 0x103U);
  EXPECT_EQ(ERROR_SUCCESS, 0);
  EXPECT_EQ(ERROR_FILE_NOT_FOUND, 2);
  EXPECT_EQ(ERROR_INVALID_HANDLE, 6);
  EXPECT_EQ(ERROR_NOT_ENOUGH_MEMORY, 8);
  EXPECT_EQ(ERROR_INVALID_PARAMETER, 87);
  EXPECT_EQ(ERROR_INSUFFICIENT_BUFFER, 122);
  EXPECT_EQ(ERROR_ABANDONED_WAIT_0, 735);
  EXPECT_EQ(ERROR_OPERATION_ABORTED, 995);
  EXPECT_EQ(ERROR_IO_INCOMPLETE, 996);
  EXPECT_EQ(ERROR_IO_PENDING, 997);
  EXPECT_EQ(ERROR_NOT_FOUND, 1168);
  EXPECT_EQ(ERROR_ACCESS_DISABLED_BY_POLICY, 1260);
  EXPECT_EQ(ERROR_TIMEOUT, 1460);
  // The PeerDist range is contiguous, 4050..4066 (spec §3.6).
  const std::vector<int> peerdist = {PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED,
                                     PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO,
                                     PEERDIST_ERROR_MISSING_DATA,
                                     PEERDIST_ERROR_NO_MORE,
                                     PEERDIST_ERROR_NOT_INITIALIZED,
                                     PEERDIST_ERROR_ALREADY_INITIALIZED,
                                     PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS,
                                     PEERDIST_ERROR_INVALIDATED,
                                     PEERDIST_ERROR_ALREADY_EXISTS,
                                     PEERDIST_ERROR_OPERATION_NOTFOUND,
                                     PEERDIST_ERROR_ALREADY_COMPLETED,
                                     PEERDIST_ERROR_OUT_OF_BOUNDS,
                                     PEERDIST_ERROR_VERSION_UNSUPPORTED,
                                     PEERDIST_ERROR_INVALID_CONFIGURATION,
                                     PEERDIST_ERROR_NOT_LICENSED,
                                     PEERDIST_ERROR_SERVICE_UNAVAILABLE,
                                     PEERDIST_ERROR_TRUST_FAILURE};
  for (std::size_t i = 0; i < peerdist.size(); ++i) {
    EXPECT_EQ(peerdist[i], 4050 + static_cast<int>(i));
  }
}

TEST_F(CompatHeader, HasOverlappedIoCompletedReadsInternal) {
  OVERLAPPED ov{};
  ov.Internal = STATUS_PENDING;
  EXPECT_FALSE(HasOverlappedIoCompleted(&ov));
  ov.Internal = ERROR_SUCCESS;
  EXPECT_TRUE(HasOverlappedIoCompleted(&ov));
  ov.Internal = PEERDIST_ERROR_MISSING_DATA;
  EXPECT_TRUE(HasOverlappedIoCompleted(&ov));
}

// ---- Handle table ---------------------------------------------------------------------------

TEST_F(CompatHandleTable, HandlesAreTaggableAndNeverZeroInvalidOrReused) {
  HandleTable table;
  std::set<std::uintptr_t> seen;
  std::uintptr_t previous = 0;
  for (int i = 0; i < 100; ++i) {
    const HANDLE h = table.insert(std::make_shared<FakeContent>());
    const std::uintptr_t v = value_of(h);
    EXPECT_NE(h, nullptr);
    EXPECT_NE(h, INVALID_HANDLE_VALUE);
    EXPECT_EQ(v % 4, 0U) << "the two low bits must be free for tags";
    EXPECT_GT(v, previous) << "values only count up";
    EXPECT_TRUE(seen.insert(v).second);
    previous = v;
    // Closing (removing) before the next insert must not let the value come back.
    ASSERT_NE(table.remove<FakeContent>(h), nullptr);
  }
  EXPECT_EQ(table.size(), 0U);
}

TEST_F(CompatHandleTable, LookupIgnoresTheTwoLowBits) {
  HandleTable table;
  const auto object = std::make_shared<FakeContent>();
  const HANDLE h = table.insert(object);
  EXPECT_EQ(table.lookup(tagged(h, 1)), object);
  EXPECT_EQ(table.lookup(tagged(h, 2)), object);
  EXPECT_EQ(table.lookup(tagged(h, 3)), object);
  EXPECT_EQ(table.lookup(tagged(h, 4)), nullptr);
}

TEST_F(CompatHandleTable, UnknownHandlesFindNothing) {
  HandleTable table;
  const HANDLE h = table.insert(std::make_shared<FakeContent>());
  EXPECT_EQ(table.lookup(nullptr), nullptr);
  EXPECT_EQ(table.lookup(INVALID_HANDLE_VALUE), nullptr);
  EXPECT_EQ(table.lookup(reinterpret_cast<HANDLE>(value_of(h) + 4)), nullptr);
  int not_a_handle = 0;
  EXPECT_EQ(table.lookup(&not_a_handle), nullptr);
  ASSERT_NE(table.remove<FakeContent>(h), nullptr);
  EXPECT_EQ(table.lookup(h), nullptr);
  EXPECT_EQ(table.remove<FakeContent>(h), nullptr);
}

TEST_F(CompatHandleTable, TypedLookupAndRemoveCheckTheKind) {
  HandleTable table;
  const auto content = std::make_shared<FakeContent>();
  const HANDLE h = table.insert(content);
  EXPECT_EQ(table.lookup<FakeContent>(h), content);
  EXPECT_EQ(table.lookup<Event>(h), nullptr);
  EXPECT_EQ(table.lookup<CompletionPort>(h), nullptr);
  EXPECT_EQ(table.remove<Event>(h), nullptr);
  EXPECT_EQ(table.size(), 1U) << "a wrong-kind remove removes nothing";
  EXPECT_EQ(table.remove<FakeContent>(h), content);
  EXPECT_EQ(table.size(), 0U);
}

TEST_F(CompatHandleTable, ObjectOutlivesItsHandleWhileHeld) {
  HandleTable table;
  std::weak_ptr<FakeContent> weak;
  std::shared_ptr<FakeContent> held;
  {
    auto object = std::make_shared<FakeContent>();
    weak = object;
    const HANDLE h = table.insert(std::move(object));
    held = table.lookup<FakeContent>(h);
    ASSERT_NE(table.remove<FakeContent>(h), nullptr);
  }
  EXPECT_FALSE(weak.expired());
  held.reset();
  EXPECT_TRUE(weak.expired());
}

TEST_F(CompatHandleTable, CloseRunsTheHookOnceAndOnlyOneConcurrentCloseWins) {
  HandleTable table;
  std::atomic<int> closes{0};
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    const HANDLE h = table.insert(std::make_shared<CountingObject>(closes));
    std::atomic<int> successes{0};
    std::vector<std::jthread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] {
        if (table.close(h) == ERROR_SUCCESS) successes.fetch_add(1);
      });
    }
    threads.clear();
    EXPECT_EQ(successes.load(), 1);
  }
  EXPECT_EQ(closes.load(), kRounds);
  EXPECT_EQ(table.size(), 0U);
}

TEST_F(CompatHandleTable, CloseHandleRefusesPeerDistHandles) {
  const HANDLE h = handle_table().insert(std::make_shared<FakeContent>());
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(CloseHandle(h));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_NE(handle_table().lookup<FakeContent>(h), nullptr) << "still open";
  EXPECT_NE(handle_table().remove<FakeContent>(h), nullptr);
}

TEST_F(CompatHandleTable, CloseHandleRejectsUnknownHandles) {
  for (HANDLE h : {static_cast<HANDLE>(nullptr), INVALID_HANDLE_VALUE,
                   reinterpret_cast<HANDLE>(std::uintptr_t{0x7FFF'FFF0})}) {
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(CloseHandle(h));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  }
}

TEST_F(CompatHandleTable, ClosedHandlesStayInvalid) {
  const HANDLE port = new_port();
  const HANDLE event = new_event(true, false);
  ASSERT_NE(port, nullptr);
  ASSERT_NE(event, nullptr);
  EXPECT_TRUE(CloseHandle(port));
  EXPECT_TRUE(CloseHandle(event));
  EXPECT_FALSE(CloseHandle(port));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_FALSE(SetEvent(event));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  // New objects get new values, never the closed ones.
  const Handle port2(new_port());
  const Handle event2(new_event(true, false));
  EXPECT_NE(port2.get(), port);
  EXPECT_NE(port2.get(), event);
  EXPECT_NE(event2.get(), port);
  EXPECT_NE(event2.get(), event);
  EXPECT_FALSE(PostQueuedCompletionStatus(port, 1, 2, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

// ---- Last error -----------------------------------------------------------------------------

TEST_F(CompatLastError, IsPerThread) {
  SetLastError(1234);
  EXPECT_EQ(GetLastError(), 1234U);
  DWORD seen_in_thread = 0;
  std::jthread([&] {
    seen_in_thread = GetLastError();
    SetLastError(42);
  }).join();
  EXPECT_EQ(seen_in_thread, static_cast<DWORD>(ERROR_SUCCESS)) << "a new thread starts at 0";
  EXPECT_EQ(GetLastError(), 1234U);
  set_last_error(7);
  EXPECT_EQ(last_error(), 7U);
  EXPECT_EQ(GetLastError(), 7U);
}

TEST_F(CompatLastError, FailSetsTheErrorAndReturnsTheValue) {
  SetLastError(ERROR_SUCCESS);
  EXPECT_EQ(fail(ERROR_NOT_FOUND, -5), -5);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_FOUND));
}

DWORD error_for(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (...) {
    return error_from_current_exception();
  }
}

TEST_F(CompatLastError, MapsExceptionsToWin32Codes) {
  EXPECT_EQ(error_for(std::make_exception_ptr(std::bad_alloc())),
            static_cast<DWORD>(ERROR_NOT_ENOUGH_MEMORY));
  EXPECT_EQ(error_for(std::make_exception_ptr(std::system_error(EMFILE, std::generic_category()))),
            static_cast<DWORD>(ERROR_TOO_MANY_OPEN_FILES));
  EXPECT_EQ(error_for(std::make_exception_ptr(std::system_error(ENFILE, std::generic_category()))),
            static_cast<DWORD>(ERROR_TOO_MANY_OPEN_FILES));
  EXPECT_EQ(error_for(std::make_exception_ptr(std::system_error(ENOMEM, std::generic_category()))),
            static_cast<DWORD>(ERROR_NOT_ENOUGH_MEMORY));
  EXPECT_EQ(error_for(std::make_exception_ptr(std::runtime_error("x"))),
            static_cast<DWORD>(ERROR_NOT_ENOUGH_MEMORY));
}

// Lowers RLIMIT_NOFILE to 0 for its lifetime, so no new descriptor (eventfd) can be made.
class NoNewDescriptors {
 public:
  NoNewDescriptors() {
    EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0);
    rlimit none = saved_;
    none.rlim_cur = 0;
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  }
  NoNewDescriptors(const NoNewDescriptors&) = delete;
  NoNewDescriptors& operator=(const NoNewDescriptors&) = delete;
  NoNewDescriptors(NoNewDescriptors&&) = delete;
  NoNewDescriptors& operator=(NoNewDescriptors&&) = delete;
  ~NoNewDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

TEST_F(CompatLastError, CreateFailsCleanlyWithoutDescriptors) {
  const std::size_t open_before = handle_table().size();
  HANDLE port = nullptr;
  HANDLE event = nullptr;
  DWORD port_error = 0;
  DWORD event_error = 0;
  {
    const NoNewDescriptors limit;
    port = new_port();
    port_error = GetLastError();
    event = new_event(true, true);
    event_error = GetLastError();
  }
  EXPECT_EQ(port, nullptr);
  EXPECT_EQ(port_error, static_cast<DWORD>(ERROR_TOO_MANY_OPEN_FILES));
  EXPECT_EQ(event, nullptr);
  EXPECT_EQ(event_error, static_cast<DWORD>(ERROR_TOO_MANY_OPEN_FILES));
  EXPECT_EQ(handle_table().size(), open_before) << "nothing half-registered";
}

// ---- Completion ports -----------------------------------------------------------------------

TEST_F(CompatPort, CreatesOnlyNewPorts) {
  const Handle port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 99, 4));
  ASSERT_NE(port.get(), nullptr);
  EXPECT_NE(port.get(), INVALID_HANDLE_VALUE);
  EXPECT_NE(handle_table().lookup<CompletionPort>(port.get()), nullptr);

  // Associating anything (a file, an existing port) is not supported.
  const Handle event(new_event(true, false));
  SetLastError(ERROR_SUCCESS);
  EXPECT_EQ(CreateIoCompletionPort(event.get(), nullptr, 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(ERROR_SUCCESS);
  EXPECT_EQ(CreateIoCompletionPort(event.get(), port.get(), 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(ERROR_SUCCESS);
  EXPECT_EQ(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port.get(), 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(ERROR_SUCCESS);
  EXPECT_EQ(CreateIoCompletionPort(nullptr, nullptr, 0, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST_F(CompatPort, PostedPacketsComeOutInOrderWithTheirFields) {
  const Handle port(new_port());
  OVERLAPPED a{};
  OVERLAPPED b{};
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 10, 100, &a));
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 20, 200, &b));
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 0, 300, nullptr));

  Dequeued d = dequeue(port.get(), 0);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 10U);
  EXPECT_EQ(d.key, 100U);
  EXPECT_EQ(d.overlapped, &a);
  d = dequeue(port.get(), INFINITE);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 20U);
  EXPECT_EQ(d.key, 200U);
  EXPECT_EQ(d.overlapped, &b);
  // A packet without an OVERLAPPED is still a success (TRUE), told apart by the return value.
  d = dequeue(port.get(), kShortMs);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 0U);
  EXPECT_EQ(d.key, 300U);
  EXPECT_EQ(d.overlapped, nullptr);
  // Posting does not touch the OVERLAPPED.
  EXPECT_EQ(a.Internal, 0U);
  EXPECT_EQ(a.InternalHigh, 0U);
}

TEST_F(CompatPort, TimesOutWithNullOverlappedAndWaitTimeout) {
  const Handle port(new_port());
  for (const DWORD ms : {DWORD{0}, kShortMs}) {
    const Dequeued d = dequeue(port.get(), ms);
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.overlapped, nullptr);
    EXPECT_EQ(d.error, static_cast<DWORD>(WAIT_TIMEOUT));
  }
}

TEST_F(CompatPort, RejectsHandlesThatAreNotPorts) {
  const Handle event(new_event(true, true));
  for (HANDLE h : {static_cast<HANDLE>(nullptr), INVALID_HANDLE_VALUE, event.get()}) {
    const Dequeued d = dequeue(h, 0);
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.overlapped, nullptr);
    EXPECT_EQ(d.error, static_cast<DWORD>(ERROR_INVALID_HANDLE));
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(PostQueuedCompletionStatus(h, 1, 1, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  }
}

TEST_F(CompatPort, RejectsNullOutputs) {
  const Handle port(new_port());
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 1, 1, nullptr));
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  OVERLAPPED poison{};
  OVERLAPPED* ov = &poison;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetQueuedCompletionStatus(port.get(), nullptr, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(ov, nullptr);
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetQueuedCompletionStatus(port.get(), &bytes, nullptr, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetQueuedCompletionStatus(port.get(), &bytes, &key, nullptr, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // Nothing was taken.
  EXPECT_TRUE(dequeue(port.get(), 0).ok);
}

TEST_F(CompatPort, BlockingDequeueReturnsOnlyAfterAPost) {
  const Handle port(new_port());
  std::atomic<bool> posted{false};
  std::atomic<bool> returned_early{false};
  Dequeued d;
  std::jthread consumer([&] {
    d = dequeue(port.get(), INFINITE);
    returned_early = !posted.load();
  });
  const auto object = handle_table().lookup<CompletionPort>(port.get());
  ASSERT_TRUE(eventually([&] { return object->waiters() == 1; }));
  posted = true;
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 5, 6, nullptr));
  consumer.join();
  EXPECT_FALSE(returned_early.load());
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 5U);
  EXPECT_EQ(d.key, 6U);
}

TEST_F(CompatPort, ManyProducersAndConsumersLoseAndDuplicateNothing) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr DWORD kPerProducer = 2000;
  const Handle port(new_port());
  // received[consumer] = (producer key, sequence) in the order that consumer got them.
  std::vector<std::vector<std::pair<ULONG_PTR, DWORD>>> received(kConsumers);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> consumers;
    for (int c = 0; c < kConsumers; ++c) {
      consumers.emplace_back([&, c] {
        for (;;) {
          const Dequeued d = dequeue(port.get(), kBoundedMs);
          if (!d.ok) {
            failures.fetch_add(1);
            return;
          }
          if (d.bytes == kSentinelBytes) return;
          received[static_cast<std::size_t>(c)].emplace_back(d.key, d.bytes);
        }
      });
    }
    {
      std::vector<std::jthread> producers;
      for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
          for (DWORD i = 0; i < kPerProducer; ++i) {
            if (!PostQueuedCompletionStatus(port.get(), i, static_cast<ULONG_PTR>(p), nullptr)) {
              failures.fetch_add(1);
            }
          }
        });
      }
    }
    for (int c = 0; c < kConsumers; ++c) {
      ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), kSentinelBytes, 0, nullptr));
    }
  }
  EXPECT_EQ(failures.load(), 0);
  std::set<std::pair<ULONG_PTR, DWORD>> all;
  for (const auto& got : received) {
    // FIFO: one consumer sees each producer's packets in the order they were posted.
    std::vector<std::int64_t> last(kProducers, -1);
    for (const auto& [producer, seq] : got) {
      ASSERT_LT(producer, static_cast<ULONG_PTR>(kProducers));
      EXPECT_GT(static_cast<std::int64_t>(seq), last[producer]);
      last[producer] = seq;
      EXPECT_TRUE(all.emplace(producer, seq).second) << "duplicate packet";
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kProducers) * kPerProducer);
  EXPECT_EQ(handle_table().lookup<CompletionPort>(port.get())->queued(), 0U);
}

TEST_F(CompatPort, ClosingWakesEveryWaiterWithAbandonedWait) {
  constexpr int kWaiters = 3;
  HANDLE port = new_port();
  ASSERT_NE(port, nullptr);
  const auto object = handle_table().lookup<CompletionPort>(port);
  std::vector<Dequeued> results(kWaiters);
  {
    std::vector<std::jthread> waiters;
    for (std::size_t i = 0; i < kWaiters; ++i) {
      waiters.emplace_back([&, i] { results[i] = dequeue(port, INFINITE); });
    }
    ASSERT_TRUE(eventually([&] { return object->waiters() == kWaiters; }));
    EXPECT_TRUE(CloseHandle(port));
  }
  for (const Dequeued& d : results) {
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.overlapped, nullptr);
    EXPECT_EQ(d.error, static_cast<DWORD>(ERROR_ABANDONED_WAIT_0));
  }
  // The handle is gone; later calls see an invalid handle.
  EXPECT_EQ(dequeue(port, 0).error, static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

TEST_F(CompatPort, ClosingDiscardsPacketsAndRefusesNewOnes) {
  HANDLE port = new_port();
  const auto object = handle_table().lookup<CompletionPort>(port);
  const int fd = PeerDistCompatGetPollFd(port);
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 1, 1, nullptr));
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 2, 2, nullptr));
  EXPECT_EQ(object->queued(), 2U);
  EXPECT_TRUE(CloseHandle(port));
  EXPECT_EQ(object->queued(), 0U);
  // We still hold the object, so its descriptor is still open, and it reads as empty.
  EXPECT_FALSE(readable(fd));
  EXPECT_FALSE(object->post(CompletionPacket{}));
  CompletionPacket out;
  EXPECT_EQ(object->dequeue(out, 0), CompletionPort::Dequeue::closed);
}

TEST_F(CompatPort, PollFdIsReadableExactlyWhilePacketsAreQueued) {
  const Handle port(new_port());
  const int fd = PeerDistCompatGetPollFd(port.get());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PeerDistCompatGetPollFd(port.get()), fd) << "one descriptor per object";
  EXPECT_FALSE(readable(fd));
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 1, 1, nullptr));
  EXPECT_TRUE(readable(fd));
  ASSERT_TRUE(PostQueuedCompletionStatus(port.get(), 2, 2, nullptr));
  EXPECT_TRUE(dequeue(port.get(), 0).ok);
  EXPECT_TRUE(readable(fd)) << "one packet left";
  EXPECT_TRUE(dequeue(port.get(), 0).ok);
  EXPECT_FALSE(readable(fd));
  EXPECT_FALSE(dequeue(port.get(), 0).ok);
  EXPECT_FALSE(readable(fd));
}

TEST_F(CompatPort, PollWakesWhenAnotherThreadPosts) {
  const Handle port(new_port());
  const int fd = PeerDistCompatGetPollFd(port.get());
  std::atomic<bool> posted{false};
  std::jthread producer([&] {
    std::this_thread::sleep_for(5ms);
    posted = true;
    PostQueuedCompletionStatus(port.get(), 7, 8, nullptr);
  });
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&p, 1, static_cast<int>(kBoundedMs)), 1);
  EXPECT_TRUE(posted.load());
  const Dequeued d = dequeue(port.get(), 0);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 7U);
}

TEST_F(CompatPort, PollFdRejectsOtherHandles) {
  const HANDLE content = handle_table().insert(std::make_shared<FakeContent>());
  for (HANDLE h : {static_cast<HANDLE>(nullptr), INVALID_HANDLE_VALUE, content}) {
    SetLastError(ERROR_SUCCESS);
    EXPECT_EQ(PeerDistCompatGetPollFd(h), -1);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  }
  EXPECT_NE(handle_table().remove<FakeContent>(content), nullptr);
}

// ---- Events ---------------------------------------------------------------------------------

TEST_F(CompatEvent, CreateFormsAndInitialState) {
  const WCHAR name[] = {'n', 'a', 'm', 'e', 0};
  SetLastError(ERROR_INVALID_HANDLE);
  const Handle a(CreateEventA(nullptr, TRUE, TRUE, "name"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  SECURITY_ATTRIBUTES sa{.nLength = sizeof(SECURITY_ATTRIBUTES),
                         .lpSecurityDescriptor = nullptr,
                         .bInheritHandle = TRUE};
  const Handle w(CreateEventW(&sa, TRUE, FALSE, name));
  const Handle generic(CreateEvent(nullptr, FALSE, TRUE, nullptr));
  // The same name does not make the same event: names are ignored.
  const Handle a2(CreateEventA(nullptr, TRUE, FALSE, "name"));
  ASSERT_NE(a.get(), nullptr);
  ASSERT_NE(w.get(), nullptr);
  ASSERT_NE(generic.get(), nullptr);
  ASSERT_NE(a2.get(), nullptr);
  EXPECT_NE(a.get(), a2.get());
  EXPECT_EQ(WaitForSingleObject(a.get(), 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(w.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(WaitForSingleObject(generic.get(), 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(a2.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(handle_table().lookup<Event>(a.get())->manual_reset());
  EXPECT_FALSE(handle_table().lookup<Event>(generic.get())->manual_reset());
}

TEST_F(CompatEvent, ManualResetStaysSetUntilReset) {
  const Handle event(new_event(true, false));
  EXPECT_EQ(WaitForSingleObject(event.get(), kShortMs), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(SetEvent(event.get()));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(event.get(), INFINITE), WAIT_OBJECT_0);
  EXPECT_TRUE(SetEvent(event.get())) << "setting a set event is fine";
  EXPECT_TRUE(ResetEvent(event.get()));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(ResetEvent(event.get())) << "resetting a reset event is fine";
}

TEST_F(CompatEvent, AutoResetReleasesOneWaitPerSet) {
  const Handle event(new_event(false, true));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(SetEvent(event.get()));
  EXPECT_TRUE(SetEvent(event.get()));  // not a counter: still one signal
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(event.get(), kShortMs), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(SetEvent(event.get()));
  EXPECT_TRUE(ResetEvent(event.get()));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
}

TEST_F(CompatEvent, AutoResetWakesOneOfSeveralWaiters) {
  constexpr int kWaiters = 3;
  const Handle event(new_event(false, false));
  const auto object = handle_table().lookup<Event>(event.get());
  std::atomic<int> woken{0};
  std::atomic<int> timed_out{0};
  {
    std::vector<std::jthread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
      waiters.emplace_back([&] {
        if (WaitForSingleObject(event.get(), kBoundedMs) == WAIT_OBJECT_0) {
          woken.fetch_add(1);
        } else {
          timed_out.fetch_add(1);
        }
      });
    }
    ASSERT_TRUE(eventually([&] { return object->waiters() == kWaiters; }));
    for (int round = 1; round <= kWaiters; ++round) {
      EXPECT_TRUE(SetEvent(event.get()));
      ASSERT_TRUE(eventually([&] { return woken.load() >= round; }));
      std::this_thread::sleep_for(10ms);
      EXPECT_EQ(woken.load(), round) << "one set released more than one waiter";
    }
  }
  EXPECT_EQ(timed_out.load(), 0);
  EXPECT_FALSE(object->is_set()) << "each wake consumed the signal";
}

TEST_F(CompatEvent, ManualResetReleasesEveryWaiter) {
  constexpr int kWaiters = 3;
  const Handle event(new_event(true, false));
  const auto object = handle_table().lookup<Event>(event.get());
  std::atomic<bool> set{false};
  std::atomic<int> early{0};
  std::atomic<int> woken{0};
  {
    std::vector<std::jthread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
      waiters.emplace_back([&] {
        if (WaitForSingleObject(event.get(), kBoundedMs) == WAIT_OBJECT_0) woken.fetch_add(1);
        if (!set.load()) early.fetch_add(1);
      });
    }
    ASSERT_TRUE(eventually([&] { return object->waiters() == kWaiters; }));
    set = true;
    EXPECT_TRUE(SetEvent(event.get()));
  }
  EXPECT_EQ(woken.load(), kWaiters);
  EXPECT_EQ(early.load(), 0);
  EXPECT_TRUE(object->is_set());
}

TEST_F(CompatEvent, RejectsHandlesThatAreNotEvents) {
  const Handle port(new_port());
  for (HANDLE h : {static_cast<HANDLE>(nullptr), INVALID_HANDLE_VALUE, port.get()}) {
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(SetEvent(h));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
    SetLastError(ERROR_SUCCESS);
    EXPECT_FALSE(ResetEvent(h));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
    SetLastError(ERROR_SUCCESS);
    EXPECT_EQ(WaitForSingleObject(h, 0), WAIT_FAILED);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  }
}

TEST_F(CompatEvent, TaggedHandleNamesTheSameEvent) {
  const Handle event(new_event(true, false));
  EXPECT_TRUE(SetEvent(tagged(event.get(), 1)));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  EXPECT_TRUE(ResetEvent(tagged(event.get(), 3)));
  EXPECT_EQ(WaitForSingleObject(tagged(event.get(), 2), 0), static_cast<DWORD>(WAIT_TIMEOUT));
}

TEST_F(CompatEvent, PollFdIsReadableExactlyWhileSet) {
  const Handle manual(new_event(true, true));
  const Handle automatic(new_event(false, false));
  const int mfd = PeerDistCompatGetPollFd(manual.get());
  const int afd = PeerDistCompatGetPollFd(automatic.get());
  ASSERT_GE(mfd, 0);
  ASSERT_GE(afd, 0);
  EXPECT_NE(mfd, afd);
  EXPECT_TRUE(readable(mfd)) << "created set";
  EXPECT_EQ(WaitForSingleObject(manual.get(), 0), WAIT_OBJECT_0);
  EXPECT_TRUE(readable(mfd)) << "a wait does not reset a manual-reset event";
  EXPECT_TRUE(ResetEvent(manual.get()));
  EXPECT_FALSE(readable(mfd));
  EXPECT_TRUE(SetEvent(manual.get()));
  EXPECT_TRUE(SetEvent(manual.get()));
  EXPECT_TRUE(ResetEvent(manual.get()));
  EXPECT_FALSE(readable(mfd)) << "two sets, one reset: not a counter";

  EXPECT_FALSE(readable(afd));
  EXPECT_TRUE(SetEvent(automatic.get()));
  EXPECT_TRUE(readable(afd));
  EXPECT_EQ(WaitForSingleObject(automatic.get(), 0), WAIT_OBJECT_0);
  EXPECT_FALSE(readable(afd)) << "the wait consumed the signal";
}

TEST_F(CompatEvent, WaitReturnsOnlyAfterAnotherThreadSets) {
  const Handle event(new_event(false, false));
  const auto object = handle_table().lookup<Event>(event.get());
  std::atomic<bool> set{false};
  std::atomic<bool> early{false};
  DWORD result = WAIT_FAILED;
  std::jthread waiter([&] {
    result = WaitForSingleObject(event.get(), INFINITE);
    early = !set.load();
  });
  ASSERT_TRUE(eventually([&] { return object->waiters() == 1; }));
  set = true;
  EXPECT_TRUE(SetEvent(event.get()));
  waiter.join();
  EXPECT_EQ(result, WAIT_OBJECT_0);
  EXPECT_FALSE(early.load());
}

TEST_F(CompatEvent, ClosingDoesNotPullTheObjectFromUnderAWaiter) {
  HANDLE event = new_event(true, false);
  const auto object = handle_table().lookup<Event>(event);
  std::weak_ptr<Event> weak = object;
  DWORD result = WAIT_FAILED;
  std::jthread waiter([&] { result = WaitForSingleObject(event, 50); });
  ASSERT_TRUE(eventually([&] { return object->waiters() == 1; }));
  EXPECT_TRUE(CloseHandle(event));
  // As on Windows, the wait holds its own reference and simply runs to its timeout.
  waiter.join();
  EXPECT_EQ(result, static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(WaitForSingleObject(event, 0), WAIT_FAILED);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

// ---- complete_overlapped / mark_pending -----------------------------------------------------

TEST_F(CompatCompletion, MarkPendingSetsStatusAndResetsTheEvent) {
  const Handle event(new_event(true, true));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  EXPECT_EQ(ov.Internal, STATUS_PENDING);
  EXPECT_FALSE(HasOverlappedIoCompleted(&ov));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  // The tagged form of hEvent names the same event.
  EXPECT_TRUE(SetEvent(event.get()));
  ov.hEvent = tagged(event.get(), 1);
  mark_pending(&ov);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
  OVERLAPPED plain{};
  mark_pending(&plain);
  EXPECT_EQ(plain.Internal, STATUS_PENDING);
}

TEST_F(CompatCompletion, PortOnlyPostsThePacket) {
  const Handle port(new_port());
  OVERLAPPED ov{};
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 4096, port.get(), 77);
  EXPECT_EQ(ov.Internal, static_cast<ULONG_PTR>(ERROR_SUCCESS));
  EXPECT_EQ(ov.InternalHigh, 4096U);
  const Dequeued d = dequeue(port.get(), 0);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.bytes, 4096U);
  EXPECT_EQ(d.key, 77U);
  EXPECT_EQ(d.overlapped, &ov);
  EXPECT_FALSE(dequeue(port.get(), 0).ok) << "exactly one packet";
}

TEST_F(CompatCompletion, FailedOperationDequeuesAsFalseWithBytesAndKey) {
  const Handle port(new_port());
  OVERLAPPED ov{};
  mark_pending(&ov);
  complete_overlapped(&ov, PEERDIST_ERROR_MISSING_DATA, 123, port.get(), 9);
  const Dequeued d = dequeue(port.get(), 0);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(d.overlapped, &ov);
  EXPECT_EQ(d.bytes, 123U) << "spec Q3: the count is reported on failure too";
  EXPECT_EQ(d.key, 9U);
  EXPECT_EQ(ov.Internal, static_cast<ULONG_PTR>(PEERDIST_ERROR_MISSING_DATA));
}

TEST_F(CompatCompletion, EventOnlySignalsTheEvent) {
  const Handle event(new_event(true, false));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 5, nullptr, 0);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  EXPECT_TRUE(HasOverlappedIoCompleted(&ov));
  EXPECT_EQ(ov.InternalHigh, 5U);
}

TEST_F(CompatCompletion, EventAndPortGetBoth) {
  const Handle port(new_port());
  const Handle event(new_event(true, false));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_OPERATION_ABORTED, 0, port.get(), 3);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  const Dequeued d = dequeue(port.get(), 0);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.overlapped, &ov);
  EXPECT_EQ(d.error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_EQ(d.key, 3U);
}

TEST_F(CompatCompletion, LowBitOnTheEventSkipsThePort) {
  const Handle port(new_port());
  const Handle event(new_event(true, false));
  OVERLAPPED ov{};
  ov.hEvent = tagged(event.get(), 1);
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 8, port.get(), 1);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  const Dequeued d = dequeue(port.get(), 0);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.error, static_cast<DWORD>(WAIT_TIMEOUT)) << "no packet was queued";
  EXPECT_EQ(ov.hEvent, tagged(event.get(), 1)) << "hEvent is left as the caller set it";
}

TEST_F(CompatCompletion, NeitherEventNorPortOnlyWritesTheOverlapped) {
  OVERLAPPED ov{};
  ov.Offset = 0x1000;
  ov.OffsetHigh = 0x2;
  mark_pending(&ov);
  complete_overlapped(&ov, PEERDIST_ERROR_NO_MORE, 0, nullptr, 0);
  EXPECT_EQ(ov.Internal, static_cast<ULONG_PTR>(PEERDIST_ERROR_NO_MORE));
  EXPECT_EQ(ov.InternalHigh, 0U);
  EXPECT_EQ(ov.Offset, 0x1000U);
  EXPECT_EQ(ov.OffsetHigh, 0x2U);
}

TEST_F(CompatCompletion, ClosedTargetsAreSkippedQuietly) {
  HANDLE port = new_port();
  HANDLE event = new_event(true, false);
  ASSERT_TRUE(CloseHandle(port));
  ASSERT_TRUE(CloseHandle(event));
  OVERLAPPED ov{};
  ov.hEvent = event;
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 1, port, 1);
  EXPECT_EQ(ov.Internal, static_cast<ULONG_PTR>(ERROR_SUCCESS));
  EXPECT_EQ(ov.InternalHigh, 1U);
}

TEST_F(CompatCompletion, DequeuerSeesFieldsWrittenBeforeCompletion) {
  // The release store of Internal (and the port's mutex) publish Offset/OffsetHigh written
  // by the completing thread; checked here for many operations in flight at once.
  constexpr DWORD kOps = 500;
  const Handle port(new_port());
  std::vector<OVERLAPPED> ovs(kOps);
  for (auto& ov : ovs) mark_pending(&ov);
  std::jthread completer([&] {
    for (DWORD i = 0; i < kOps; ++i) {
      OVERLAPPED& ov = ovs[i];
      ov.Offset = i * 3;
      ov.OffsetHigh = i + 1;
      complete_overlapped(&ov, ERROR_SUCCESS, i, port.get(), i);
    }
  });
  for (DWORD n = 0; n < kOps; ++n) {
    const Dequeued d = dequeue(port.get(), kBoundedMs);
    ASSERT_TRUE(d.ok);
    ASSERT_NE(d.overlapped, nullptr);
    EXPECT_EQ(d.overlapped->Offset, d.bytes * 3);
    EXPECT_EQ(d.overlapped->OffsetHigh, d.bytes + 1);
    EXPECT_EQ(d.overlapped->InternalHigh, d.bytes);
    EXPECT_EQ(d.key, d.bytes);
  }
}

// ---- GetOverlappedResult --------------------------------------------------------------------

TEST_F(CompatOverlappedResult, PendingWithoutWaitIsIncomplete) {
  OVERLAPPED ov{};
  mark_pending(&ov);
  DWORD bytes = 0xAAAA;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_INCOMPLETE));
  EXPECT_EQ(bytes, 0xAAAAU) << "nothing reported while pending";
  complete_overlapped(&ov, ERROR_SUCCESS, 0, nullptr, 0);
}

TEST_F(CompatOverlappedResult, SuccessReportsTheBytes) {
  OVERLAPPED ov{};
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 65536, nullptr, 0);
  DWORD bytes = 0;
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, FALSE));
  EXPECT_EQ(bytes, 65536U);
  bytes = 0;
  // hFile is ignored, whatever it is.
  EXPECT_TRUE(GetOverlappedResult(INVALID_HANDLE_VALUE, &ov, &bytes, TRUE));
  EXPECT_EQ(bytes, 65536U);
}

TEST_F(CompatOverlappedResult, FailureReportsTheErrorAndStillTheBytes) {
  OVERLAPPED ov{};
  mark_pending(&ov);
  complete_overlapped(&ov, PEERDIST_ERROR_MISSING_DATA, 1234, nullptr, 0);
  DWORD bytes = 0;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(bytes, 1234U) << "spec Q20";
}

TEST_F(CompatOverlappedResult, RejectsNullArguments) {
  OVERLAPPED ov{};
  DWORD bytes = 0;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, nullptr, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, nullptr, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST_F(CompatOverlappedResult, WaitWithoutEventReturnsAfterCompletion) {
  OVERLAPPED ov{};
  mark_pending(&ov);
  std::atomic<bool> completed{false};
  std::jthread completer([&] {
    std::this_thread::sleep_for(5ms);
    ov.Offset = 42;
    completed = true;
    complete_overlapped(&ov, ERROR_SUCCESS, 77, nullptr, 0);
  });
  DWORD bytes = 0;
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_TRUE(completed.load());
  EXPECT_EQ(bytes, 77U);
  EXPECT_EQ(ov.Offset, 42U);
}

TEST_F(CompatOverlappedResult, WaitWithEventReturnsAfterCompletion) {
  const Handle event(new_event(true, false));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  std::atomic<bool> completed{false};
  std::jthread completer([&] {
    std::this_thread::sleep_for(5ms);
    completed = true;
    complete_overlapped(&ov, ERROR_OPERATION_ABORTED, 0, nullptr, 0);
  });
  DWORD bytes = 99;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_TRUE(completed.load());
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_OPERATION_ABORTED)) << "spec Q13";
  EXPECT_EQ(bytes, 0U);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0) << "a manual-reset event stays set";
}

TEST_F(CompatOverlappedResult, WaitConsumesAnAutoResetEvent) {
  const Handle event(new_event(false, false));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  std::jthread completer([&] {
    std::this_thread::sleep_for(5ms);
    complete_overlapped(&ov, ERROR_SUCCESS, 1, nullptr, 0);
  });
  DWORD bytes = 0;
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  completer.join();
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
}

TEST_F(CompatOverlappedResult, CompletedResultDoesNotTouchTheEvent) {
  const Handle event(new_event(false, false));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  mark_pending(&ov);
  complete_overlapped(&ov, ERROR_SUCCESS, 1, nullptr, 0);
  DWORD bytes = 0;
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0)
      << "no wait happened, so the signal is still there";
}

TEST_F(CompatOverlappedResult, WaitOnAnInvalidEventFails) {
  HANDLE event = new_event(true, false);
  OVERLAPPED ov{};
  ov.hEvent = event;
  mark_pending(&ov);
  ASSERT_TRUE(CloseHandle(event));
  DWORD bytes = 0;
  SetLastError(ERROR_SUCCESS);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  complete_overlapped(&ov, ERROR_SUCCESS, 2, nullptr, 0);
  // Once complete, the event no longer matters.
  EXPECT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, TRUE));
  EXPECT_EQ(bytes, 2U);
}

TEST_F(CompatOverlappedResult, EventWaitThenResultSeesTheCompletion) {
  // The usual Windows pattern: wait on hEvent, then GetOverlappedResult(bWait = FALSE).
  const Handle event(new_event(true, false));
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    OVERLAPPED ov{};
    ov.hEvent = event.get();
    mark_pending(&ov);
    std::jthread completer(
        [&] { complete_overlapped(&ov, ERROR_SUCCESS, static_cast<DWORD>(round), nullptr, 0); });
    ASSERT_EQ(WaitForSingleObject(event.get(), kBoundedMs), WAIT_OBJECT_0);
    DWORD bytes = 0;
    ASSERT_TRUE(GetOverlappedResult(nullptr, &ov, &bytes, FALSE));
    EXPECT_EQ(bytes, static_cast<DWORD>(round));
  }
}

TEST_F(CompatOverlappedResult, ManyWaitersEachGetTheirOwnResult) {
  constexpr std::size_t kOps = 16;
  std::vector<OVERLAPPED> ovs(kOps);
  for (auto& ov : ovs) mark_pending(&ov);
  std::vector<DWORD> got(kOps, 0);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> waiters;
    for (std::size_t i = 0; i < kOps; ++i) {
      waiters.emplace_back([&, i] {
        if (!GetOverlappedResult(nullptr, &ovs[i], &got[i], TRUE)) failures.fetch_add(1);
      });
    }
    // Complete in reverse order so that most wake-ups are for someone else's operation.
    for (std::size_t i = kOps; i-- > 0;) {
      complete_overlapped(&ovs[i], ERROR_SUCCESS, static_cast<DWORD>(i * 10), nullptr, 0);
    }
  }
  EXPECT_EQ(failures.load(), 0);
  for (std::size_t i = 0; i < kOps; ++i) EXPECT_EQ(got[i], static_cast<DWORD>(i * 10));
}

}  // namespace
}  // namespace peerdist::api
