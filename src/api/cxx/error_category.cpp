// peerdist::win32_category(): the Win32 / PEERDIST codes of the C API as std::error_code, one
// code to one value, with Windows' meanings (spec §3.6) and the std::errc conditions they
// correspond to.
#include <peerdist_win32.h>

#include <string>

#include "peerdist/peerdist.hpp"

namespace peerdist {
namespace {

struct CodeInfo {
  DWORD code;
  const char* message;
  std::errc condition;  // std::errc{} when none fits
};

// Every code the C API returns or completes with.
constexpr CodeInfo kCodes[] = {
    {ERROR_SUCCESS, "success", std::errc{}},
    {ERROR_FILE_NOT_FOUND, "the file was not found", std::errc::no_such_file_or_directory},
    {ERROR_TOO_MANY_OPEN_FILES, "too many open files", std::errc::too_many_files_open},
    {ERROR_INVALID_HANDLE, "the handle is invalid", std::errc::bad_file_descriptor},
    {ERROR_NOT_ENOUGH_MEMORY, "not enough memory", std::errc::not_enough_memory},
    {ERROR_INVALID_DATA, "the data is invalid", std::errc::bad_message},
    {ERROR_INVALID_PARAMETER, "the parameter is incorrect", std::errc::invalid_argument},
    {ERROR_INSUFFICIENT_BUFFER, "the buffer is too small", std::errc::no_buffer_space},
    {WAIT_TIMEOUT, "the wait timed out", std::errc::timed_out},
    {ERROR_ABANDONED_WAIT_0, "the object waited for was closed", std::errc{}},
    {ERROR_OPERATION_ABORTED, "the operation was aborted (cancelled, closed or shut down)",
     std::errc::operation_canceled},
    {ERROR_IO_INCOMPLETE, "the operation has not completed yet", std::errc::operation_in_progress},
    {ERROR_IO_PENDING, "the operation is in progress", std::errc::operation_in_progress},
    {ERROR_NOT_FOUND, "not found (the content is not published)",
     std::errc::no_such_file_or_directory},
    {ERROR_ACCESS_DISABLED_BY_POLICY, "the Peer Distribution service is disabled by policy",
     std::errc::operation_not_permitted},
    {ERROR_TIMEOUT, "the operation timed out", std::errc::timed_out},
    {PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED,
     "the content information version is not supported", std::errc::not_supported},
    {PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO, "the content information could not be parsed",
     std::errc::bad_message},
    {PEERDIST_ERROR_MISSING_DATA, "the data is in neither the local cache nor a peer's",
     std::errc{}},
    {PEERDIST_ERROR_NO_MORE, "no more data is available", std::errc{}},
    {PEERDIST_ERROR_NOT_INITIALIZED, "the object is not initialized yet", std::errc{}},
    {PEERDIST_ERROR_ALREADY_INITIALIZED, "the object is already initialized", std::errc{}},
    {PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS, "a shutdown is in progress", std::errc{}},
    {PEERDIST_ERROR_INVALIDATED,
     "the handle was invalidated (the service was disabled or became unavailable)", std::errc{}},
    {PEERDIST_ERROR_ALREADY_EXISTS, "the content is already published (or being published)",
     std::errc::file_exists},
    {PEERDIST_ERROR_OPERATION_NOTFOUND,
     "the operation was not found (it has already completed, or never existed)", std::errc{}},
    {PEERDIST_ERROR_ALREADY_COMPLETED, "the operation was already carried out", std::errc{}},
    {PEERDIST_ERROR_OUT_OF_BOUNDS, "access beyond the bounds of the valid data",
     std::errc::result_out_of_range},
    {PEERDIST_ERROR_VERSION_UNSUPPORTED, "the requested version is not supported",
     std::errc::not_supported},
    {PEERDIST_ERROR_INVALID_CONFIGURATION, "a configuration value is invalid", std::errc{}},
    {PEERDIST_ERROR_NOT_LICENSED, "the feature is not licensed", std::errc{}},
    {PEERDIST_ERROR_SERVICE_UNAVAILABLE,
     "the Peer Distribution service is unavailable (not running or not ready)", std::errc{}},
    {PEERDIST_ERROR_TRUST_FAILURE,
     "communication with some computers is blocked after recent errors", std::errc{}},
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
