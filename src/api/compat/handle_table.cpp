#include "peerdist/api/handle_table.hpp"

#include <peerdist_compat.h>

#include <mutex>
#include <utility>

#include "peerdist/api/last_error.hpp"

namespace peerdist::api {
namespace {

// The first handle value. Away from 0 and from small integers, so that a file descriptor or a
// counter passed by mistake as a HANDLE finds nothing.
constexpr std::uintptr_t kFirstHandle = 0x10000;
// Windows kernel handles are multiples of 4 and the kernel ignores the two low bits.
constexpr std::uintptr_t kHandleStep = 4;
constexpr std::uintptr_t kTagBits = kHandleStep - 1;

std::uintptr_t key_of(HANDLE handle) noexcept {
  return reinterpret_cast<std::uintptr_t>(handle) & ~kTagBits;
}

}  // namespace

HANDLE HandleTable::insert(std::shared_ptr<HandleObject> object) {
  const std::unique_lock lock(mutex_);
  // A multiple of 4 from kFirstHandle: never 0 and never INVALID_HANDLE_VALUE (all ones). The
  // counter would take centuries to wrap, so values are never reused.
  const std::uintptr_t value = kFirstHandle + next_ * kHandleStep;
  objects_.emplace(value, std::move(object));
  ++next_;
  // A handle is a number, not a pointer to anything.
  return reinterpret_cast<HANDLE>(value);  // NOLINT(performance-no-int-to-ptr)
}

std::shared_ptr<HandleObject> HandleTable::lookup(HANDLE handle) const {
  const std::shared_lock lock(mutex_);
  const auto it = objects_.find(key_of(handle));
  return it == objects_.end() ? nullptr : it->second;
}

std::shared_ptr<HandleObject> HandleTable::remove_if_kind(HANDLE handle, HandleKind kind) {
  const std::unique_lock lock(mutex_);
  const auto it = objects_.find(key_of(handle));
  if (it == objects_.end() || it->second->kind() != kind) return nullptr;
  auto object = std::move(it->second);
  objects_.erase(it);
  return object;
}

DWORD HandleTable::close(HANDLE handle) {
  std::shared_ptr<HandleObject> object;
  {
    const std::unique_lock lock(mutex_);
    const auto it = objects_.find(key_of(handle));
    if (it == objects_.end()) return ERROR_INVALID_HANDLE;
    // Asked under the lock so that check and removal are one step: two threads closing the
    // same handle cannot both succeed.
    if (const DWORD refused = it->second->close_handle_error(); refused != ERROR_SUCCESS) {
      return refused;
    }
    object = std::move(it->second);
    objects_.erase(it);
  }
  // Outside the lock: the hook wakes waiters, who may look up other handles.
  object->on_handle_closed();
  return ERROR_SUCCESS;
}

std::size_t HandleTable::size() const {
  const std::shared_lock lock(mutex_);
  return objects_.size();
}

HandleTable& handle_table() {
  // Deliberately leaked: a static object would be destroyed at exit while detached threads or
  // other static destructors may still use handles.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory,cppcoreguidelines-avoid-non-const-global-variables)
  static auto* const table = new HandleTable;
  return *table;
}

}  // namespace peerdist::api

extern "C" {

BOOL WINAPI CloseHandle(HANDLE hObject) {
  using namespace peerdist::api;
  try {
    const DWORD error = handle_table().close(hObject);
    return error == ERROR_SUCCESS ? TRUE : fail(error, FALSE);
  } catch (...) {
    return fail(error_from_current_exception(), FALSE);
  }
}

int PeerDistCompatGetPollFd(HANDLE hObject) {
  using namespace peerdist::api;
  try {
    const auto object = handle_table().lookup(hObject);
    const int fd = object == nullptr ? -1 : object->poll_fd();
    return fd < 0 ? fail(ERROR_INVALID_HANDLE, -1) : fd;
  } catch (...) {
    return fail(error_from_current_exception(), -1);
  }
}

}  // extern "C"
