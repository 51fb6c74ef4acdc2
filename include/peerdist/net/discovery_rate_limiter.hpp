// The discovery rate limit of MS-CCRSO §5.1.2.2 (spec digest §2.5, §4.3): at most Fmax = 100
// probes per second leave a host, whatever asks for them. A probe over the limit is not dropped
// but sent later: reserve() says when (a generic cell rate algorithm, i.e. a token bucket
// without the floating point).
#pragma once

#include <chrono>
#include <cstddef>

namespace peerdist::net {

class ProbeRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Fmax.
  static constexpr std::size_t kProbesPerSecond = 100;
  // Probes that may go back to back before the rate applies: the first round of a large
  // content (20 probes ask for 200 v1 or 280 v2 segments) is not spread over 200 ms, while a
  // sustained stream still averages Fmax.
  static constexpr std::size_t kBurst = 20;
  static constexpr Clock::duration kInterval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) / kProbesPerSecond;

  // When the next probe may be sent (now or later), and counts it.
  Clock::time_point reserve(Clock::time_point now);

 private:
  // The time at which the bucket would be empty again (theoretical arrival time).
  Clock::time_point tat_{};
};

}  // namespace peerdist::net
