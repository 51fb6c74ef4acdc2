#include "peerdist/crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace peerdist::crypto {

void random_fill(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed: no entropy");
    }
    out = out.subspan(n);
  }
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  random_fill(out);
  return out;
}

}  // namespace peerdist::crypto
