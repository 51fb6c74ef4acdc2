// The thread's last error, behind GetLastError/SetLastError. Windows keeps it per thread; so do
// we (thread_local), so a failure on one thread never shows up in another's GetLastError.
#pragma once

#include <peerdist_win32.h>

namespace peerdist::api {

[[nodiscard]] DWORD last_error() noexcept;
void set_last_error(DWORD error) noexcept;

// For the Win32 entry points: record the error and return the call's failure value, as in
// `return fail(ERROR_INVALID_HANDLE, FALSE);`.
template <typename T>
T fail(DWORD error, T result) noexcept {
  set_last_error(error);
  return result;
}

// The Win32 code for the exception being handled; call only inside a catch block. No C++
// exception may cross the C API, so every entry point ends in catch (...) and this.
// std::bad_alloc and ENOMEM: ERROR_NOT_ENOUGH_MEMORY; EMFILE/ENFILE: ERROR_TOO_MANY_OPEN_FILES.
[[nodiscard]] DWORD error_from_current_exception() noexcept;

}  // namespace peerdist::api
