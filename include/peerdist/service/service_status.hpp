// What the service tells every connection about itself: PEERDIST_STATUS and the range of
// content-information versions it produces (PEERDIST_STATUS_INFO's dwMinVer/dwMaxVer).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "peerdist.h"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::service {

struct ServiceStatus {
  std::uint32_t status = PEERDIST_STATUS_AVAILABLE;
  std::uint32_t min_ci_version = 1;
  std::uint32_t max_ci_version = 2;
  friend bool operator==(const ServiceStatus&, const ServiceStatus&) = default;
};

// `versions` ascending and not empty (Config guarantees it).
[[nodiscard]] inline ServiceStatus make_status(std::uint32_t status,
                                               const std::vector<pccrc::Version>& versions) {
  ServiceStatus s;
  s.status = status;
  s.min_ci_version = versions.empty() ? 1U : static_cast<std::uint32_t>(versions.front());
  s.max_ci_version = versions.empty() ? 2U : static_cast<std::uint32_t>(versions.back());
  return s;
}

[[nodiscard]] constexpr std::string_view status_name(std::uint32_t status) noexcept {
  switch (status) {
    case PEERDIST_STATUS_DISABLED: return "disabled";
    case PEERDIST_STATUS_UNAVAILABLE: return "unavailable";
    case PEERDIST_STATUS_AVAILABLE: return "available";
    default: return "unknown";
  }
}

}  // namespace peerdist::service
