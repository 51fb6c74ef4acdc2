#include "peerdist/net/discovery_random.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <random>

#include "peerdist/crypto/random.hpp"

namespace peerdist::net {

DelayPicker uniform_delay_picker() {
  std::array<std::uint8_t, sizeof(std::uint64_t)> seed_bytes{};
  crypto::random_fill(seed_bytes);
  std::uint64_t seed = 0;
  std::memcpy(&seed, seed_bytes.data(), sizeof seed);
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](std::chrono::milliseconds min, std::chrono::milliseconds max) {
    if (max <= min) return min;
    std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(min.count(), max.count());
    return std::chrono::milliseconds(pick(*engine));
  };
}

}  // namespace peerdist::net
