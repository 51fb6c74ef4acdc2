#include "peerdist/net/discovery_rate_limiter.hpp"

#include <algorithm>

namespace peerdist::net {

ProbeRateLimiter::Clock::time_point ProbeRateLimiter::reserve(Clock::time_point now) {
  constexpr Clock::duration kTolerance = kInterval * static_cast<Clock::rep>(kBurst - 1);
  tat_ = std::max(tat_, now);
  const Clock::time_point send_at = std::max(now, tat_ - kTolerance);
  tat_ += kInterval;
  return send_at;
}

}  // namespace peerdist::net
