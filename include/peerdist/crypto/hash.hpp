// SHA-2 over OpenSSL's EVP interface. The algorithm objects are fetched once per process
// (OpenSSL 3's implicit fetch on every init costs more than hashing a small block).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "peerdist/crypto/digest.hpp"

struct evp_md_ctx_st;

namespace peerdist::crypto {

enum class HashAlgorithm : std::uint8_t { sha256, sha384, sha512 };

[[nodiscard]] constexpr std::size_t digest_size(HashAlgorithm a) noexcept {
  switch (a) {
    case HashAlgorithm::sha256: return 32;
    case HashAlgorithm::sha384: return 48;
    case HashAlgorithm::sha512: return 64;
  }
  return 0;
}
[[nodiscard]] std::string_view name(HashAlgorithm a) noexcept;  // "SHA256", as OpenSSL names it

// Incremental hashing. Reusable: finish() resets the state for the next message.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::span<const std::uint8_t> data);
  Digest finish();
  // One message at once (reuses this hasher's context).
  Digest digest(std::span<const std::uint8_t> data) {
    update(data);
    return finish();
  }
  [[nodiscard]] HashAlgorithm algorithm() const noexcept { return algorithm_; }

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  HashAlgorithm algorithm_;
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

[[nodiscard]] Digest hash(HashAlgorithm algorithm, std::span<const std::uint8_t> data);

// HMAC over one or two message parts (HoHoDk hashes HoD || constant without concatenating).
[[nodiscard]] Digest hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key,
                          std::span<const std::uint8_t> message,
                          std::span<const std::uint8_t> message_tail = {});

}  // namespace peerdist::crypto
