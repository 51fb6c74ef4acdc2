// PEERDIST_CONTENT_TAG as the data cache stores it. FlushContent is per user (spec Q21): the
// 16 bytes an application chose are mixed with its uid, so that another user who knows or
// guesses a tag cannot flush what this user cached under it.
#pragma once

#include <cstdint>

#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

// The first 16 bytes of SHA-256("peerdist content tag" || uid (u32 LE) || tag).
[[nodiscard]] store::ContentTag user_tag(std::uint32_t uid, const store::ContentTag& tag);

}  // namespace peerdist::service
