// What every C entry point shares. The library is built with -fvisibility=hidden; the C API's
// definitions are exported one by one with PEERDIST_C_EXPORT (peerdist.h is shared with Windows
// and carries no attributes).
#pragma once

#include <peerdist_win32.h>

#include "peerdist/api/last_error.hpp"

#define PEERDIST_C_EXPORT __attribute__((visibility("default")))

namespace peerdist::api {

// No C++ exception crosses the C API (docs/api.md): every entry point runs its body through
// this, which turns an escaping exception into its Win32 code.
template <typename Body>
DWORD guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return error_from_current_exception();
  }
}

// A completion port argument: NULL (none) or an open port. Anything else is a bad handle.
[[nodiscard]] bool valid_port(HANDLE port);

}  // namespace peerdist::api
