#include "human_units.hpp"

#include <array>
#include <cstdio>

namespace peerdist::cli {

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  auto value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  // Rounded to one decimal, 1023.96 KiB would print as "1024.0 KiB": move up before that.
  while (value >= 1023.95 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, kUnits.at(unit));
  return text.data();
}

std::string human_duration(std::chrono::seconds duration) {
  auto left = duration.count() < 0 ? 0 : duration.count();
  struct Unit {
    const char* name;
    long long seconds;
  };
  constexpr std::array<Unit, 4> kUnits = {Unit{"d", 86400}, Unit{"h", 3600}, Unit{"min", 60},
                                          Unit{"s", 1}};
  std::string out;
  int shown = 0;
  for (const Unit& unit : kUnits) {
    const long long count = left / unit.seconds;
    left %= unit.seconds;
    if (count == 0 && shown == 0) continue;
    if (shown > 0 && count == 0) break;  // "3 d", not "3 d 0 h"
    if (!out.empty()) out += ' ';
    out += std::to_string(count) + ' ' + unit.name;
    if (++shown == 2) break;
  }
  return out.empty() ? "0 s" : out;
}

}  // namespace peerdist::cli
