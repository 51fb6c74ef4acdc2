// Deterministic test contents.
#pragma once

#include <cstdint>
#include <vector>

namespace peerdist::test {

// The synthetic body of shared/vectors/derived/synthetic-v1-2seg*.txt:
// byte[i] = (i % 251) ^ ((i >> 16) & 0xff).
std::vector<std::uint8_t> synthetic_content(std::size_t length);

// Pseudo-random bytes from a seed (xorshift; the same seed gives the same bytes everywhere).
std::vector<std::uint8_t> random_content(std::size_t length, std::uint64_t seed);

}  // namespace peerdist::test
