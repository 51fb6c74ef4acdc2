// Errors of the IPC OS helpers that are not an errno: what a received shared buffer or a
// requested range got wrong. Failed system calls report std::system_category codes.
#pragma once

#include <system_error>

namespace peerdist::ipc {

enum class Errc {
  not_sealed = 1,  // the received descriptor is not a memfd sealed against shrinking and growing
  size_mismatch,   // its size is not the one announced in Hello
  out_of_range,    // a range is not inside the shared buffer
  read_only,       // writing through the daemon's read-only mapping
  bad_size,        // a shared buffer of 0 bytes, or more than the address space holds
};

[[nodiscard]] const std::error_category& ipc_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), ipc_category()};
}

}  // namespace peerdist::ipc

template <>
struct std::is_error_code_enum<peerdist::ipc::Errc> : std::true_type {};
