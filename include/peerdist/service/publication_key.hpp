// What a publication is keyed by: the owner's uid (from SO_PEERCRED) and the application's
// content identifier. The same identifier under two users is two publications.
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <vector>

namespace peerdist::service {

struct PublicationKey {
  std::uint32_t uid = 0;
  std::vector<std::uint8_t> content_id;
  friend auto operator<=>(const PublicationKey&, const PublicationKey&) = default;
  friend bool operator==(const PublicationKey&, const PublicationKey&) = default;
};

}  // namespace peerdist::service
