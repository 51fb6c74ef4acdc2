#include "peerdist/crypto/aes.hpp"

#include <openssl/evp.h>

#include <memory>

namespace peerdist::crypto {
namespace {

using Result = Expected<std::vector<std::uint8_t>, std::string>;

const EVP_CIPHER* cipher_for(std::size_t key_size) {
  switch (key_size) {
    case 16: return EVP_aes_128_cbc();
    case 24: return EVP_aes_192_cbc();
    case 32: return EVP_aes_256_cbc();
    default: return nullptr;
  }
}

// Runs the cipher from `in` into `out`, which has room for in.size() + 16 bytes when
// decrypting or padding (OpenSSL may write up to one block more than it finally keeps), and
// for exactly aes_cbc_ciphertext_size() bytes when encrypting.
Expected<std::size_t, std::string> run_into(bool encrypt, std::span<const std::uint8_t> key,
                                            std::span<const std::uint8_t> iv,
                                            std::span<const std::uint8_t> in, Padding padding,
                                            std::span<std::uint8_t> out) {
  const EVP_CIPHER* cipher = cipher_for(key.size());
  if (cipher == nullptr) return Unexpected(std::string("AES key must be 16, 24 or 32 bytes"));
  if (iv.size() != 16) return Unexpected(std::string("AES-CBC IV must be 16 bytes"));
  if (padding == Padding::none && in.size() % 16 != 0) {
    return Unexpected(std::string("unpadded AES-CBC data must be a multiple of 16 bytes"));
  }
  if (!encrypt && (in.empty() || in.size() % 16 != 0)) {
    return Unexpected(std::string("AES-CBC ciphertext must be a non-empty multiple of 16 bytes"));
  }
  if (in.size() > static_cast<std::size_t>(INT32_MAX - 32)) {
    return Unexpected(std::string("AES-CBC input too large"));
  }
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (!ctx ||
      EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.data(), encrypt ? 1 : 0, nullptr) != 1) {
    return Unexpected(std::string("AES-CBC initialisation failed"));
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), padding == Padding::pkcs7 ? 1 : 0);
  int n1 = 0;
  int n2 = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n1, in.data(), static_cast<int>(in.size())) != 1) {
    return Unexpected(std::string("AES-CBC failed"));
  }
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
    return Unexpected(
        std::string(encrypt ? "AES-CBC failed" : "AES-CBC padding is invalid (wrong key?)"));
  }
  return static_cast<std::size_t>(n1) + static_cast<std::size_t>(n2);
}

Result run(bool encrypt, std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
           std::span<const std::uint8_t> in, Padding padding) {
  std::vector<std::uint8_t> out(in.size() + 16);
  auto n = run_into(encrypt, key, iv, in, padding, out);
  if (!n) return Unexpected(n.error());
  out.resize(*n);
  return out;
}

}  // namespace

Result aes_cbc_encrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
                       std::span<const std::uint8_t> plaintext, Padding padding) {
  return run(true, key, iv, plaintext, padding);
}

Result aes_cbc_decrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv,
                       std::span<const std::uint8_t> ciphertext, Padding padding) {
  return run(false, key, iv, ciphertext, padding);
}

Expected<std::size_t, std::string> aes_cbc_encrypt_into(std::span<const std::uint8_t> key,
                                                        std::span<const std::uint8_t> iv,
                                                        std::span<const std::uint8_t> plaintext,
                                                        Padding padding,
                                                        std::span<std::uint8_t> out) {
  // Encrypting from an empty buffer, OpenSSL's update writes whole blocks only and the final
  // call the padded last one, so it never writes past the ciphertext size.
  if (out.size() < aes_cbc_ciphertext_size(plaintext.size(), padding)) {
    return Unexpected(std::string("AES-CBC output buffer too small"));
  }
  return run_into(true, key, iv, plaintext, padding, out);
}

}  // namespace peerdist::crypto
