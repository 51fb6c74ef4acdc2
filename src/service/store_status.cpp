#include "peerdist/service/store_status.hpp"

#include <spdlog/spdlog.h>

#include "peerdist/service/reply.hpp"

namespace peerdist::service {

std::uint32_t store_status(const store::StoreError& error, std::string_view what) {
  spdlog::error("data cache: {} failed: {}", what, error.message);
  switch (error.code) {
    case store::StoreErrc::disk_full: return kErrorDiskFull;
    case store::StoreErrc::invalid_argument: return ERROR_INVALID_PARAMETER;
    default: return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
  }
}

}  // namespace peerdist::service
