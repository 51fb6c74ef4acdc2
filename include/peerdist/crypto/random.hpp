// Cryptographically secure random bytes (OpenSSL's DRBG).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace peerdist::crypto {

void random_fill(std::span<std::uint8_t> out);
[[nodiscard]] std::vector<std::uint8_t> random_bytes(std::size_t n);

}  // namespace peerdist::crypto
