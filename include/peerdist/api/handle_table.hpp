// The process-wide table behind every HANDLE the library returns: completion ports and events
// now, PeerDist instance/stream/content-info/content handles later.
//
// A HANDLE is an opaque number, never a pointer we dereference: a stale or forged value finds
// nothing and the call fails with ERROR_INVALID_HANDLE. Objects are held by shared_ptr, so a
// thread that looked an object up keeps it alive while it waits on it, even if another thread
// closes the handle meanwhile.
//
// Handle values count up from a fixed base in steps of 4 and are never reused within a
// process: a closed handle cannot come back to life as some other object. Like Windows kernel
// handles they are multiples of 4, and lookups ignore the two low bits, because Windows
// programs tag handles there (hEvent | 1 means "signal the event but post no port packet") and
// Windows ignores the tag when the handle is used.
#pragma once

#include <peerdist_win32.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <unordered_map>

namespace peerdist::api {

// The type tag of every object the table holds. The PeerDist kinds are reserved for the API.
enum class HandleKind : std::uint8_t {
  completion_port,
  event,
  peerdist_instance,
  peerdist_stream,
  peerdist_content_info,
  peerdist_content,
};

class HandleObject {
 public:
  HandleObject(const HandleObject&) = delete;
  HandleObject& operator=(const HandleObject&) = delete;
  HandleObject(HandleObject&&) = delete;
  HandleObject& operator=(HandleObject&&) = delete;
  virtual ~HandleObject() = default;

  [[nodiscard]] HandleKind kind() const noexcept { return kind_; }

  // CloseHandle asks this first, with the table locked (so it must not call into the table).
  // ERROR_SUCCESS lets CloseHandle remove the handle; any other code makes CloseHandle fail
  // with it and leaves the handle open. The default refuses with ERROR_INVALID_HANDLE, which is
  // what PeerDist handles want: each has its own close function (PeerDistShutdown,
  // PeerDistClientCloseContent, ...) and CloseHandle must not bypass it.
  [[nodiscard]] virtual DWORD close_handle_error() const noexcept { return ERROR_INVALID_HANDLE; }

  // Called once after CloseHandle removed the handle (outside the table lock). Threads that
  // still hold the object may be inside a wait on it; a port wakes them here.
  virtual void on_handle_closed() noexcept {}

  // The descriptor PeerDistCompatGetPollFd returns, or -1 when the object has none.
  [[nodiscard]] virtual int poll_fd() const noexcept { return -1; }

 protected:
  explicit HandleObject(HandleKind kind) noexcept : kind_(kind) {}

 private:
  HandleKind kind_;
};

// A type the table can hand out by kind: it names its tag as T::kKind.
template <typename T>
concept HandleType = std::derived_from<T, HandleObject> && requires {
  { T::kKind } -> std::convertible_to<HandleKind>;
};

class HandleTable {
 public:
  HandleTable() = default;

  // Registers an object under a new handle value. Throws std::bad_alloc.
  [[nodiscard]] HANDLE insert(std::shared_ptr<HandleObject> object);

  // The object behind a handle, or nullptr when the handle is unknown or closed.
  [[nodiscard]] std::shared_ptr<HandleObject> lookup(HANDLE handle) const;

  // The object behind a handle if it has type T, else nullptr (so a port passed where an event
  // is expected is an invalid handle, as on Windows).
  template <HandleType T>
  [[nodiscard]] std::shared_ptr<T> lookup(HANDLE handle) const {
    return downcast<T>(lookup(handle));
  }

  // Removes a handle of type T and returns its object; nullptr (and nothing removed) when the
  // handle is unknown or of another type. For the API's own close functions: no hooks run.
  template <HandleType T>
  [[nodiscard]] std::shared_ptr<T> remove(HANDLE handle) {
    return downcast<T>(remove_if_kind(handle, T::kKind));
  }

  // CloseHandle: removes the handle if its object agrees (close_handle_error), then runs the
  // object's on_handle_closed. Returns ERROR_SUCCESS or the reason it did not close.
  [[nodiscard]] DWORD close(HANDLE handle);

  // The number of open handles (for tests and diagnostics).
  [[nodiscard]] std::size_t size() const;

 private:
  template <HandleType T>
  static std::shared_ptr<T> downcast(std::shared_ptr<HandleObject> object) noexcept {
    if (object == nullptr || object->kind() != T::kKind) return nullptr;
    return std::static_pointer_cast<T>(std::move(object));
  }
  std::shared_ptr<HandleObject> remove_if_kind(HANDLE handle, HandleKind kind);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::uintptr_t, std::shared_ptr<HandleObject>> objects_;
  std::uintptr_t next_ = 0;
};

// The process-wide table. It is never destroyed, so handles stay usable from threads that
// outlive main and from static destructors.
[[nodiscard]] HandleTable& handle_table();

}  // namespace peerdist::api
