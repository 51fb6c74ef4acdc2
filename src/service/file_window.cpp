#include "peerdist/service/file_window.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <utility>

#include "peerdist.h"
#include "peerdist/ipc/file_piece.hpp"
#include "peerdist/util/checked.hpp"

namespace peerdist::service {
namespace {

// The windows mapped now, for the SIGBUS handler, which may only read them (lock-free atomics).
enum SlotState : int { kFree = 0, kSettingUp = 1, kMapped = 2 };
struct Slot {
  std::atomic<int> state{kFree};
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> damaged{false};
};
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free &&
              std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);
// Process-wide by nature: a signal handler can reach nothing else.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
std::array<Slot, FileWindow::kMaxWindows> slots;

// What handled SIGBUS before us: a fault outside our windows is its business.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): set once, before use
struct sigaction previous_action {};

void restore_default_sigbus() noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;  // NOLINT(cppcoreguidelines-pro-type-union-access)
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
}

extern "C" void on_sigbus(int signal, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  // si_code > 0: a fault of this thread's access (not a kill()); si_addr is what it touched.
  if (info != nullptr && info->si_code > 0) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (Slot& slot : slots) {
      if (slot.state.load(std::memory_order_acquire) != kMapped) continue;
      const std::uintptr_t begin = slot.begin.load(std::memory_order_relaxed);
      const std::uintptr_t end = slot.end.load(std::memory_order_relaxed);
      if (address < begin || address >= end) continue;
      // The whole window becomes zero pages: the faulting read is retried and reads zeros, and
      // so do later reads of pages past the new end. The raw system call: no interceptor or
      // lock of the C library runs inside a signal handler.
      const long mapped = ::syscall(SYS_mmap, begin, end - begin, PROT_READ,  // NOLINT
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (mapped != -1) {
        slot.damaged.store(true, std::memory_order_release);
        errno = saved_errno;
        return;
      }
      break;  // cannot repair it: as if we were not there
    }
  }
  // Not one of our windows.
  // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access): sigaction's handler union
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal, info, context);
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
             previous_action.sa_handler != nullptr) {
    previous_action.sa_handler(signal);
  } else {
    // The default action: a fault is retried and now kills the process (core dump) as it
    // would have without us; a signal sent by someone is raised again, delivered once this
    // handler returns.
    restore_default_sigbus();
    if (info == nullptr || info->si_code <= 0) static_cast<void>(::raise(SIGBUS));
  }
  // NOLINTEND(cppcoreguidelines-pro-type-union-access)
  errno = saved_errno;
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;  // NOLINT(cppcoreguidelines-pro-type-union-access)
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_action);
  });
}

std::size_t claim_slot() noexcept {
  static std::atomic<std::size_t> hint{0};
  const std::size_t start = hint.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const std::size_t at = (start + i) % slots.size();
    int expected = kFree;
    if (slots[at].state.compare_exchange_strong(expected, kSettingUp, std::memory_order_acq_rel)) {
      return at;
    }
  }
  return slots.size();
}

}  // namespace

std::uint32_t check_file_piece(int fd, std::uint64_t offset, std::uint64_t length) {
  // The daemon reads only what the client could only read, and only from local filesystems.
  if (!ipc::file_piece_source(fd)) return ERROR_INVALID_PARAMETER;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ERROR_INVALID_PARAMETER;
  const auto end = util::checked_add<std::uint64_t>(offset, length);
  if (!end || *end > static_cast<std::uint64_t>(st.st_size)) return PEERDIST_ERROR_OUT_OF_BOUNDS;
  return ERROR_SUCCESS;
}

Expected<FileWindow, std::error_code> FileWindow::map(int fd, std::uint64_t offset,
                                                      std::size_t length) {
  install_handler();
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t start = offset - offset % page;
  const auto lead = static_cast<std::size_t>(offset - start);
  const std::size_t mapped = lead + length;
  const std::size_t slot = claim_slot();
  if (slot == slots.size()) return Unexpected(std::make_error_code(std::errc::too_many_files_open));
  void* base =
      ::mmap(nullptr, mapped, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, static_cast<off_t>(start));
  if (base == MAP_FAILED) {
    const std::error_code error(errno, std::generic_category());
    slots[slot].state.store(kFree, std::memory_order_release);
    return Unexpected(error);
  }
  const auto begin = reinterpret_cast<std::uintptr_t>(base);
  slots[slot].begin.store(begin, std::memory_order_relaxed);
  slots[slot].end.store(begin + mapped, std::memory_order_relaxed);
  slots[slot].damaged.store(false, std::memory_order_relaxed);
  // Published before anything reads the window: only a read can fault.
  slots[slot].state.store(kMapped, std::memory_order_release);
  return FileWindow(slot, base, mapped, {static_cast<const std::uint8_t*>(base) + lead, length});
}

FileWindow::FileWindow(FileWindow&& other) noexcept
    : slot_(std::exchange(other.slot_, kMaxWindows)),
      base_(std::exchange(other.base_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      bytes_(std::exchange(other.bytes_, {})) {}

FileWindow& FileWindow::operator=(FileWindow&& other) noexcept {
  if (this != &other) {
    close();
    slot_ = std::exchange(other.slot_, kMaxWindows);
    base_ = std::exchange(other.base_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
    bytes_ = std::exchange(other.bytes_, {});
  }
  return *this;
}

FileWindow::~FileWindow() {
  close();
}

bool FileWindow::damaged() const noexcept {
  return slot_ < kMaxWindows && slots[slot_].damaged.load(std::memory_order_acquire);
}

bool FileWindow::close() noexcept {
  if (slot_ >= kMaxWindows) return false;
  Slot& slot = slots[slot_];
  const bool was_damaged = slot.damaged.load(std::memory_order_acquire);
  // Unregistered first: nobody reads the window any more, so no fault can come for it.
  slot.state.store(kFree, std::memory_order_release);
  ::munmap(base_, mapped_);
  slot_ = kMaxWindows;
  base_ = nullptr;
  mapped_ = 0;
  bytes_ = {};
  return was_damaged;
}

}  // namespace peerdist::service
