// The data cache's limits from the configuration's [cache]: a share of the disk ("5%") becomes
// bytes of the file system that holds the cache, measured when the daemon starts or reloads.
#pragma once

#include <filesystem>
#include <string>

#include "peerdist/service/config.hpp"
#include "peerdist/store/data_cache.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// `dir` is the cache directory; it need not exist yet (its nearest existing parent is on the
// same file system once it is created below it).
[[nodiscard]] Expected<store::CacheLimits, std::string> cache_limits(
    const CacheConfig& config, const std::filesystem::path& dir);

}  // namespace peerdist::service
