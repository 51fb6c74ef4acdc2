#include "peerdist/api/last_error.hpp"

#include <peerdist_compat.h>

#include <cerrno>
#include <new>
#include <system_error>

namespace peerdist::api {
namespace {

// Mutable per-thread state is the Win32 contract of GetLastError.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
thread_local DWORD t_last_error = ERROR_SUCCESS;

}  // namespace

DWORD last_error() noexcept {
  return t_last_error;
}

void set_last_error(DWORD error) noexcept {
  t_last_error = error;
}

DWORD error_from_current_exception() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return ERROR_NOT_ENOUGH_MEMORY;
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::too_many_files_open ||
        e.code() == std::errc::too_many_files_open_in_system) {
      return ERROR_TOO_MANY_OPEN_FILES;
    }
    return ERROR_NOT_ENOUGH_MEMORY;
  } catch (...) {
    // Nothing else is thrown below the C API; if it were, running out of a resource is the
    // closest Win32 meaning.
    return ERROR_NOT_ENOUGH_MEMORY;
  }
}

}  // namespace peerdist::api

extern "C" {

DWORD WINAPI GetLastError(void) {
  return peerdist::api::last_error();
}

void WINAPI SetLastError(DWORD dwErrCode) {
  peerdist::api::set_last_error(dwErrCode);
}

}  // extern "C"
