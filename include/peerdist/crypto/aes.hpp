// AES-CBC with a 128-, 192- or 256-bit key. Used for the Windows key export file (with PKCS#7
// padding) and for blocks sent between peers (MS-PCCRR, wire/pccrr/block_cipher.hpp).
#pragma once

#include <cstddef>
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

// The ciphertext size of a plaintext of n bytes: n for Padding::none (a multiple of 16), else n
// rounded up past the next multiple of 16 (PKCS#7 always adds 1..16 bytes).
[[nodiscard]] constexpr std::size_t aes_cbc_ciphertext_size(std::size_t n, Padding padding) {
  return padding == Padding::none ? n : (n / 16 + 1) * 16;
}

// Encrypts into `out` instead of a new vector, so that a caller can encrypt straight into the
// message it sends (MS-PCCRR MSG_BLK carries up to 128 KiB per block). out.size() must be at
// least aes_cbc_ciphertext_size(); returns the bytes written. Same errors as aes_cbc_encrypt.
Expected<std::size_t, std::string> aes_cbc_encrypt_into(std::span<const std::uint8_t> key,
                                                        std::span<const std::uint8_t> iv,
                                                        std::span<const std::uint8_t> plaintext,
                                                        Padding padding,
                                                        std::span<std::uint8_t> out);

}  // namespace peerdist::crypto
