// The Win32 code a client gets for a failure of the data cache, whose details (SQLite's or the
// file system's words) go to the log: the application can do nothing with them.
#pragma once

#include <cstdint>
#include <string_view>

#include "peerdist/store/errc.hpp"

namespace peerdist::service {

// disk_full: ERROR_DISK_FULL; invalid_argument: ERROR_INVALID_PARAMETER; anything else:
// PEERDIST_ERROR_SERVICE_UNAVAILABLE. Logs "data cache: <what> failed: <message>".
[[nodiscard]] std::uint32_t store_status(const store::StoreError& error, std::string_view what);

}  // namespace peerdist::service
