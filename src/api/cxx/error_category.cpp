// peerdist::win32_category(): the Win32 / PEERDIST codes of the C API as std::error_code, one
// code to one value, with Windows' meanings (spec §3.6) and the std::errc conditions they
// correspond to.
#include <peerdist_win32.h>

#include <string>

#include "peerdist/peerdist.hpp"

namespace peerdist {
namespace {

struct CodeInfo {
  const char* message;
  DWORD code;
  std::errc condition;  // std::errc{} when none fits
};

// Every code the C API returns or completes with.
constexpr CodeInfo kCodes[] = {
    {"success", ERROR_SUCCESS, std::errc{}},
    {"the file was not found", ERROR_FILE_NOT_FOUND, std::errc::no_such_file_or_directory},
    {"too many open files", ERROR_TOO_MANY_OPEN_FILES, std::errc::too_many_files_open},
    {"access is denied", ERROR_ACCESS_DENIED, std::errc::permission_denied},
    {"the handle is invalid", ERROR_INVALID_HANDLE, std::errc::bad_file_descriptor},
    {"not enough memory", ERROR_NOT_ENOUGH_MEMORY, std::errc::not_enough_memory},
    {"the data is invalid", ERROR_INVALID_DATA, std::errc::bad_message},
    {"the parameter is incorrect", ERROR_INVALID_PARAMETER, std::errc::invalid_argument},
    {"the buffer is too small", ERROR_INSUFFICIENT_BUFFER, std::errc::no_buffer_space},
    {"the wait timed out", WAIT_TIMEOUT, std::errc::timed_out},
    {"the object waited for was closed", ERROR_ABANDONED_WAIT_0, std::errc{}},
    {"the operation was aborted (cancelled, closed or shut down)", ERROR_OPERATION_ABORTED,
     std::errc::operation_canceled},
    {"the operation has not completed yet", ERROR_IO_INCOMPLETE, std::errc::operation_in_progress},
    {"the operation is in progress", ERROR_IO_PENDING, std::errc::operation_in_progress},
    {"not found (the content is not published)", ERROR_NOT_FOUND,
     std::errc::no_such_file_or_directory},
    {"the Peer Distribution service is disabled by policy", ERROR_ACCESS_DISABLED_BY_POLICY,
     std::errc::operation_not_permitted},
    {"the operation timed out", ERROR_TIMEOUT, std::errc::timed_out},
    {"the content information version is not supported",
     PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED, std::errc::not_supported},
    {"the content information could not be parsed", PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO,
     std::errc::bad_message},
    {"the data is in neither the local cache nor a peer's", PEERDIST_ERROR_MISSING_DATA,
     std::errc{}},
    {"no more data is available", PEERDIST_ERROR_NO_MORE, std::errc{}},
    {"the object is not initialized yet", PEERDIST_ERROR_NOT_INITIALIZED, std::errc{}},
    {"the object is already initialized", PEERDIST_ERROR_ALREADY_INITIALIZED, std::errc{}},
    {"a shutdown is in progress", PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS, std::errc{}},
    {"the handle was invalidated (the service was disabled or became unavailable)",
     PEERDIST_ERROR_INVALIDATED, std::errc{}},
    {"the content is already published (or being published)", PEERDIST_ERROR_ALREADY_EXISTS,
     std::errc::file_exists},
    {"the operation was not found (it has already completed, or never existed)",
     PEERDIST_ERROR_OPERATION_NOTFOUND, std::errc{}},
    {"the operation was already carried out", PEERDIST_ERROR_ALREADY_COMPLETED, std::errc{}},
    {"access beyond the bounds of the valid data", PEERDIST_ERROR_OUT_OF_BOUNDS,
     std::errc::result_out_of_range},
    {"the requested version is not supported", PEERDIST_ERROR_VERSION_UNSUPPORTED,
     std::errc::not_supported},
    {"a configuration value is invalid", PEERDIST_ERROR_INVALID_CONFIGURATION, std::errc{}},
    {"the feature is not licensed", PEERDIST_ERROR_NOT_LICENSED, std::errc{}},
    {"the Peer Distribution service is unavailable (not running or not ready)",
     PEERDIST_ERROR_SERVICE_UNAVAILABLE, std::errc{}},
    {"communication with some computers is blocked after recent errors",
     PEERDIST_ERROR_TRUST_FAILURE, std::errc{}},
};

const CodeInfo* find(int value) noexcept {
  for (const CodeInfo& info : kCodes) {
    if (static_cast<int>(info.code) == value) return &info;
  }
  return nullptr;
}

class Win32Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "peerdist.win32"; }

  [[nodiscard]] std::string message(int value) const override {
    if (const CodeInfo* info = find(value)) return info->message;
    return "Win32 error " + std::to_string(static_cast<DWORD>(value));
  }

  [[nodiscard]] std::error_condition default_error_condition(int value) const noexcept override {
    if (const CodeInfo* info = find(value); info != nullptr && info->condition != std::errc{}) {
      return std::make_error_condition(info->condition);
    }
    return {value, *this};
  }
};

}  // namespace

const std::error_category& win32_category() noexcept {
  static const Win32Category category;
  return category;
}

std::error_code make_error_code(Win32Error code) noexcept {
  // ERROR_SUCCESS is value 0, which std::error_code reads as "no error".
  return {static_cast<int>(code), win32_category()};
}

}  // namespace peerdist
