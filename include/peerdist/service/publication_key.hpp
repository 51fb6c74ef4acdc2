// What a publication is keyed by: the owner's uid (from SO_PEERCRED) and the application's
// content identifier. The same identifier under two users is two publications.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace peerdist::service {

struct PublicationKey {
  std::uint32_t uid = 0;
  std::vector<std::uint8_t> content_id;

  friend bool operator==(const PublicationKey&, const PublicationKey&) = default;
  // Any strict weak order will do for the maps: by uid, length, then bytes. Written out
  // because GCC 12 at -O3 warns (wrongly) about the memcmp in vector's <=>.
  friend bool operator<(const PublicationKey& a, const PublicationKey& b) noexcept {
    if (a.uid != b.uid) return a.uid < b.uid;
    if (a.content_id.size() != b.content_id.size()) {
      return a.content_id.size() < b.content_id.size();
    }
    for (std::size_t i = 0; i < a.content_id.size(); ++i) {
      if (a.content_id[i] != b.content_id[i]) return a.content_id[i] < b.content_id[i];
    }
    return false;
  }
};

}  // namespace peerdist::service
