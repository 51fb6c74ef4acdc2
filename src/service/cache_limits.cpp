#include "peerdist/service/cache_limits.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace peerdist::service {
namespace {

constexpr std::chrono::hours kDay{24};

}  // namespace

Expected<store::CacheLimits, std::string> cache_limits(const CacheConfig& config,
                                                       const std::filesystem::path& dir) {
  store::CacheLimits limits;
  limits.max_age = std::chrono::duration_cast<std::chrono::seconds>(kDay * config.max_age_days);
  if (config.max_bytes != 0) {
    limits.max_bytes = config.max_bytes;
    return limits;
  }
  std::filesystem::path probe = dir;
  std::error_code ec;
  while (!probe.empty() && !std::filesystem::exists(probe, ec) && probe != probe.parent_path()) {
    probe = probe.parent_path();
  }
  struct statvfs fs {};
  if (probe.empty() || ::statvfs(probe.c_str(), &fs) != 0) {
    return Unexpected("cannot measure the file system of " + dir.string() + ": " +
                      std::strerror(errno));  // NOLINT(concurrency-mt-unsafe): start-up only
  }
  const std::uint64_t total = std::uint64_t{fs.f_blocks} * fs.f_frsize;
  // total * share / whole without overflowing 64 bits.
  constexpr std::uint64_t kWhole = CacheConfig::kHundredthsOfPercentWhole;
  const std::uint64_t share = total / kWhole * config.max_hundredths_of_percent +
                              total % kWhole * config.max_hundredths_of_percent / kWhole;
  // Never 0, which DataCache reads as "its own default".
  limits.max_bytes = share == 0 ? 1 : share;
  return limits;
}

}  // namespace peerdist::service
