// The gear table of the V2 chunker (docs/chunker.md): 256 pseudo-random 64-bit values, one per
// byte value, generated at compile time.
//
// The table is part of our output format: every V2 segment boundary, and therefore every V2
// segment ID this server publishes, depends on it. It is generated rather than written out so
// that anyone can reproduce it from two names: SplitMix64 (Steele, Lea & Flood, "Fast
// splittable pseudorandom number generators", OOPSLA 2014; the generator of Java's
// SplittableRandom) seeded with kGearSeed. Never change the generator or the seed.
#pragma once

#include <array>
#include <cstdint>

namespace peerdist::pccrc::detail {

// The ASCII bytes of "peerdist" read as a big-endian 64-bit number: a seed anyone can retype.
inline constexpr std::uint64_t kGearSeed = 0x7065657264697374ULL;

// One SplitMix64 step: advances `state` and returns the next output.
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

// Entry i is the i-th SplitMix64 output (i = 0 is the first output after seeding).
constexpr std::array<std::uint64_t, 256> make_gear_table() noexcept {
  std::array<std::uint64_t, 256> table{};
  std::uint64_t state = kGearSeed;
  for (auto& entry : table) entry = splitmix64_next(state);
  return table;
}

inline constexpr std::array<std::uint64_t, 256> kGearTable = make_gear_table();

}  // namespace peerdist::pccrc::detail
