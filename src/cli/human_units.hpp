// Sizes and durations for people: "1.5 GiB", "3 d 4 h". Binary units, as `du -h` and the
// configuration's "10GiB" use them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace peerdist::cli {

// "0 B", "1023 B", "1.0 KiB", "1.5 GiB" (one decimal from KiB on).
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);
// The two largest units that are not zero: "42 s", "5 min 3 s", "2 h 7 min", "3 d 4 h".
[[nodiscard]] std::string human_duration(std::chrono::seconds duration);

}  // namespace peerdist::cli
