#include "peerdist/crypto/hash.hpp"

#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <stdexcept>

#include "peerdist/util/hex.hpp"

namespace peerdist::crypto {
namespace {

// Fetched once, kept for the life of the process (freed by OpenSSL at exit).
const EVP_MD* md(HashAlgorithm a) {
  static const std::array<EVP_MD*, 3> fetched = {
      EVP_MD_fetch(nullptr, "SHA256", nullptr),
      EVP_MD_fetch(nullptr, "SHA384", nullptr),
      EVP_MD_fetch(nullptr, "SHA512", nullptr),
  };
  const EVP_MD* m = fetched.at(static_cast<std::size_t>(a));
  if (m == nullptr) throw std::runtime_error("OpenSSL provides no " + std::string(name(a)));
  return m;
}

[[noreturn]] void fail(const char* what) { throw std::runtime_error(what); }

}  // namespace

std::string Digest::hex() const { return util::to_hex(bytes()); }

std::string_view name(HashAlgorithm a) noexcept {
  switch (a) {
    case HashAlgorithm::sha256: return "SHA256";
    case HashAlgorithm::sha384: return "SHA384";
    case HashAlgorithm::sha512: return "SHA512";
  }
  return "?";
}

void Hasher::CtxFree::operator()(evp_md_ctx_st* ctx) const noexcept { EVP_MD_CTX_free(ctx); }

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex2(ctx_.get(), md(algorithm_), nullptr) != 1) {
    fail("EVP_DigestInit_ex2 failed");
  }
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) fail("EVP_DigestUpdate failed");
}

Digest Hasher::finish() {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) != 1) fail("EVP_DigestFinal_ex failed");
  // Re-initialise with the same algorithm so the hasher can be reused.
  if (EVP_DigestInit_ex2(ctx_.get(), nullptr, nullptr) != 1) fail("EVP_DigestInit_ex2 failed");
  return Digest(std::span(out).first(n));
}

Digest hash(HashAlgorithm algorithm, std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, md(algorithm), nullptr) != 1) {
    fail("EVP_Digest failed");
  }
  return Digest(std::span(out).first(n));
}

Digest hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key,
            std::span<const std::uint8_t> message, std::span<const std::uint8_t> message_tail) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) fail("OpenSSL provides no HMAC");
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac),
                                                                 &EVP_MAC_CTX_free);
  std::string digest_name(name(algorithm));
  const std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string("digest", digest_name.data(), 0), OSSL_PARAM_construct_end()};
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
  std::size_t n = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params.data()) != 1 ||
      EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_update(ctx.get(), message_tail.data(), message_tail.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &n, out.size()) != 1) {
    fail("HMAC failed");
  }
  return Digest(std::span(out).first(n));
}

}  // namespace peerdist::crypto
