#include "support/test_data.hpp"

namespace peerdist::test {

std::vector<std::uint8_t> synthetic_content(std::size_t length) {
  std::vector<std::uint8_t> out(length);
  for (std::size_t i = 0; i < length; ++i) {
    out[i] = static_cast<std::uint8_t>((i % 251U) ^ ((i >> 16U) & 0xffU));
  }
  return out;
}

std::vector<std::uint8_t> random_content(std::size_t length, std::uint64_t seed) {
  std::vector<std::uint8_t> out(length);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < length; ++i) {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    out[i] = static_cast<std::uint8_t>(x >> 32U);
  }
  return out;
}

}  // namespace peerdist::test
