// The Fmax = 100 probes/s limit: when each probe may go, on a clock the test controls.
#include "peerdist/net/discovery_rate_limiter.hpp"

#include <gtest/gtest.h>

namespace peerdist::net {
namespace {

using Clock = ProbeRateLimiter::Clock;

TEST(ProbeRateLimiter, ABurstGoesAtOnceThenOneProbePerInterval) {
  ProbeRateLimiter limiter;
  const Clock::time_point t0 = Clock::now();
  for (std::size_t i = 0; i < ProbeRateLimiter::kBurst; ++i) EXPECT_EQ(limiter.reserve(t0), t0);
  EXPECT_EQ(limiter.reserve(t0), t0 + ProbeRateLimiter::kInterval);
  EXPECT_EQ(limiter.reserve(t0), t0 + 2 * ProbeRateLimiter::kInterval);
}

TEST(ProbeRateLimiter, SustainedRateIsFmax) {
  ProbeRateLimiter limiter;
  const Clock::time_point t0 = Clock::now();
  Clock::time_point last = t0;
  for (int i = 0; i < 1000; ++i) last = limiter.reserve(t0);
  // 1000 probes asked at once: the last goes out after (1000 - burst) intervals, i.e. the host
  // sends no more than 100 per second beyond the burst.
  EXPECT_EQ(last - t0,
            static_cast<Clock::rep>(1000 - ProbeRateLimiter::kBurst) * ProbeRateLimiter::kInterval);
  EXPECT_EQ(ProbeRateLimiter::kInterval, std::chrono::milliseconds(10));
}

TEST(ProbeRateLimiter, IdleTimeRefillsTheBurst) {
  ProbeRateLimiter limiter;
  const Clock::time_point t0 = Clock::now();
  for (std::size_t i = 0; i < 2 * ProbeRateLimiter::kBurst; ++i) (void)limiter.reserve(t0);
  const Clock::time_point later = t0 + std::chrono::seconds(10);
  for (std::size_t i = 0; i < ProbeRateLimiter::kBurst; ++i) {
    EXPECT_EQ(limiter.reserve(later), later);
  }
  EXPECT_GT(limiter.reserve(later), later);
}

}  // namespace
}  // namespace peerdist::net
