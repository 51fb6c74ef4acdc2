#include "peerdist/wire/pccrr/block_cipher.hpp"

#include <algorithm>

#include "peerdist/crypto/aes.hpp"
#include "peerdist/crypto/random.hpp"
#include "peerdist/wire/pccrr/codec.hpp"

namespace peerdist::wire::pccrr {
namespace {

using Plaintext = Expected<std::vector<std::uint8_t>, std::string>;

constexpr std::size_t kAesBlockSize = 16;
constexpr std::size_t kWholeKpKeySize = 32;

Expected<std::span<const std::uint8_t>, std::string> key_from(CryptoAlgorithm algorithm,
                                                              std::span<const std::uint8_t> kp) {
  const std::size_t size = key_size(algorithm);
  if (kp.size() < size) {
    return Unexpected("Kp has " + std::to_string(kp.size()) + " bytes, " +
                      std::string(to_string(algorithm)) + " needs " + std::to_string(size));
  }
  return kp.first(size);
}

// AES-CBC without padding over just the blocks that hold the plaintext: CBC decrypts a prefix
// on its own, and the padding after it is ignored (A2).
Plaintext decrypt_aes(std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
                      std::span<const std::uint8_t> block, std::size_t plaintext_size) {
  if (iv.size() != kIvSize) {
    return Unexpected("IVBlock has " + std::to_string(iv.size()) + " bytes, AES-CBC needs 16");
  }
  if (block.size() % kAesBlockSize != 0) {
    return Unexpected("Block has " + std::to_string(block.size()) +
                      " bytes, not a multiple of the AES block size");
  }
  if (block.size() < plaintext_size) {
    return Unexpected("Block has " + std::to_string(block.size()) + " bytes, the block " +
                      std::to_string(plaintext_size));
  }
  const std::size_t whole_blocks = (plaintext_size + kAesBlockSize - 1) / kAesBlockSize;
  auto plaintext = crypto::aes_cbc_decrypt(key, iv, block.first(whole_blocks * kAesBlockSize),
                                           crypto::Padding::none);
  if (!plaintext) return Unexpected(plaintext.error());
  plaintext->resize(plaintext_size);
  return plaintext;
}

Expected<void, std::string> check_block(std::span<const std::uint8_t> block,
                                        std::size_t plaintext_size) {
  if (plaintext_size == 0) return Unexpected(std::string("a block has at least one byte"));
  if (block.empty()) return Unexpected(std::string("the server does not have the block"));
  return {};
}

}  // namespace

std::size_t encrypted_block_size(CryptoAlgorithm algorithm, std::size_t n) noexcept {
  if (algorithm == CryptoAlgorithm::none) return n;
  return crypto::aes_cbc_ciphertext_size(n, crypto::Padding::pkcs7);
}

Expected<void, std::string> encrypt_block_into(CryptoAlgorithm algorithm,
                                               std::span<const std::uint8_t> kp, const Iv& iv,
                                               std::span<const std::uint8_t> plaintext,
                                               std::span<std::uint8_t> out) {
  if (out.size() != encrypted_block_size(algorithm, plaintext.size())) {
    return Unexpected("output has " + std::to_string(out.size()) + " bytes, the block needs " +
                      std::to_string(encrypted_block_size(algorithm, plaintext.size())));
  }
  if (algorithm == CryptoAlgorithm::none) {
    std::copy(plaintext.begin(), plaintext.end(), out.begin());
    return {};
  }
  auto key = key_from(algorithm, kp);
  if (!key) return Unexpected(key.error());
  auto written = crypto::aes_cbc_encrypt_into(*key, iv, plaintext, crypto::Padding::pkcs7, out);
  if (!written) return Unexpected(written.error());
  return {};
}

Expected<std::vector<std::uint8_t>, std::string> encode_blk_response(
    const MsgBlk& message, std::span<const std::uint8_t> kp,
    std::span<const std::uint8_t> plaintext) {
  MsgBlk fields = message;
  Iv iv{};
  fields.iv = {};
  if (fields.crypto != CryptoAlgorithm::none) {
    // Check the key before drawing an IV or building a response around it.
    if (auto key = key_from(fields.crypto, kp); !key) return Unexpected(key.error());
    crypto::random_fill(iv);
    fields.iv = iv;
  }
  auto response =
      encode_blk_response_with_room(fields, encrypted_block_size(fields.crypto, plaintext.size()));
  if (auto done = encrypt_block_into(fields.crypto, kp, iv, plaintext, response.block()); !done) {
    return Unexpected(done.error());
  }
  return std::move(response.bytes);
}

Plaintext decrypt_block(CryptoAlgorithm algorithm, std::span<const std::uint8_t> kp,
                        std::span<const std::uint8_t> iv, std::span<const std::uint8_t> block,
                        std::size_t plaintext_size) {
  if (auto ok = check_block(block, plaintext_size); !ok) return Unexpected(ok.error());
  if (algorithm == CryptoAlgorithm::none) {
    // No cipher, so no padding either; bytes past the block are ignored as padding would be.
    if (block.size() < plaintext_size) {
      return Unexpected("Block has " + std::to_string(block.size()) + " bytes, the block " +
                        std::to_string(plaintext_size));
    }
    return std::vector<std::uint8_t>(block.begin(),
                                     block.begin() + static_cast<std::ptrdiff_t>(plaintext_size));
  }
  auto key = key_from(algorithm, kp);
  if (!key) return Unexpected(key.error());
  return decrypt_aes(*key, iv, block, plaintext_size);
}

Plaintext decrypt_block(const MsgBlk& message, std::span<const std::uint8_t> kp,
                        std::size_t plaintext_size) {
  return decrypt_block(message.crypto, kp, message.iv, message.block, plaintext_size);
}

Plaintext decrypt_block_whole_kp(std::span<const std::uint8_t> kp, std::span<const std::uint8_t> iv,
                                 std::span<const std::uint8_t> block, std::size_t plaintext_size) {
  if (auto ok = check_block(block, plaintext_size); !ok) return Unexpected(ok.error());
  if (kp.size() != kWholeKpKeySize) {
    return Unexpected("Kp has " + std::to_string(kp.size()) +
                      " bytes; only a 32-byte Kp makes an AES-256 key whole");
  }
  return decrypt_aes(kp, iv, block, plaintext_size);
}

}  // namespace peerdist::wire::pccrr
