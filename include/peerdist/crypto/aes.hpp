// AES-CBC with a 128-, 192- or 256-bit key. Used for the Windows key export file (with PKCS#7
// padding) and for blocks sent between peers (MS-PCCRR, without padding).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"

namespace peerdist::crypto {

enum class Padding : std::uint8_t { none, pkcs7 };

// Errors: key size not 16/24/32, iv size not 16, unpadded input not a multiple of 16, bad padding.
Expected<std::vector<std::uint8_t>, std::string> aes_cbc_encrypt(
    std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
    std::span<const std::uint8_t> plaintext, Padding padding);
Expected<std::vector<std::uint8_t>, std::string> aes_cbc_decrypt(
    std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
    std::span<const std::uint8_t> ciphertext, Padding padding);

}  // namespace peerdist::crypto
