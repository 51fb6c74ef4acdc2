#include "peerdist/pccrc/keys.hpp"

#include <algorithm>
#include <array>

#include "peerdist/crypto/aes.hpp"
#include "peerdist/crypto/hash.hpp"
#include "peerdist/crypto/random.hpp"
#include "peerdist/pccrc/constants.hpp"

namespace peerdist::pccrc {
namespace {

constexpr std::size_t kRandomSecretSize = 32;
constexpr std::array<std::uint8_t, 16> kZeroIv{};

// The AES-256 key of an export file: SHA-256 of the file passphrase in UTF-16LE.
Expected<crypto::Digest, std::string> export_file_key(std::string_view passphrase_utf8) {
  auto wide = utf16le(passphrase_utf8);
  if (!wide) return Unexpected(wide.error());
  return crypto::hash(crypto::HashAlgorithm::sha256, *wide);
}

void push_utf16le(std::vector<std::uint8_t>& out, std::uint32_t unit) {
  out.push_back(static_cast<std::uint8_t>(unit & 0xffU));
  out.push_back(static_cast<std::uint8_t>(unit >> 8U));
}

}  // namespace

Expected<std::vector<std::uint8_t>, std::string> utf16le(std::string_view utf8) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size() * 2);
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<std::uint8_t>(utf8[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80U) {
      cp = lead;
    } else if ((lead & 0xe0U) == 0xc0U) {
      extra = 1;
      cp = lead & 0x1fU;
    } else if ((lead & 0xf0U) == 0xe0U) {
      extra = 2;
      cp = lead & 0x0fU;
    } else if ((lead & 0xf8U) == 0xf0U) {
      extra = 3;
      cp = lead & 0x07U;
    } else {
      return Unexpected("invalid UTF-8 at byte " + std::to_string(i));
    }
    if (utf8.size() - i <= extra) return Unexpected("truncated UTF-8 at byte " + std::to_string(i));
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<std::uint8_t>(utf8[i + k]);
      if ((c & 0xc0U) != 0x80U) return Unexpected("invalid UTF-8 at byte " + std::to_string(i + k));
      cp = (cp << 6U) | (c & 0x3fU);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr std::array<std::uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin.at(extra) || (cp >= 0xd800U && cp <= 0xdfffU) || cp > 0x10ffffU) {
      return Unexpected("invalid UTF-8 code point at byte " + std::to_string(i));
    }
    if (cp >= 0x10000U) {
      const std::uint32_t v = cp - 0x10000U;
      push_utf16le(out, 0xd800U + (v >> 10U));
      push_utf16le(out, 0xdc00U + (v & 0x3ffU));
    } else {
      push_utf16le(out, cp);
    }
    i += extra + 1;
  }
  return out;
}

ServerSecret ServerSecret::random() { return ServerSecret(crypto::random_bytes(kRandomSecretSize)); }

Expected<ServerSecret, std::string> ServerSecret::from_passphrase(std::string_view utf8) {
  if (utf8.empty()) return Unexpected(std::string("the passphrase is empty"));
  auto wide = utf16le(utf8);
  if (!wide) return Unexpected(wide.error());
  return ServerSecret(std::move(*wide));
}

Expected<ServerSecret, util::DecodeError> ServerSecret::from_windows_export(
    std::span<const std::uint8_t> file, std::string_view passphrase_utf8) {
  auto key = export_file_key(passphrase_utf8);
  if (!key) return Unexpected(util::DecodeError{"passphrase", 0, key.error()});
  if (file.empty() || file.size() % 16 != 0) {
    return Unexpected(util::DecodeError{
        "export file", 0,
        "length " + std::to_string(file.size()) + " is not a non-zero multiple of the AES block size"});
  }
  auto plain = crypto::aes_cbc_decrypt(key->bytes(), kZeroIv, file, crypto::Padding::pkcs7);
  if (!plain) {
    return Unexpected(util::DecodeError{"export file", file.size() - 16,
                                        "cannot be decrypted: wrong passphrase or not a key file"});
  }
  constexpr std::size_t kCheck = 32;  // SHA-256(secret key)
  if (plain->size() <= kCheck) {
    return Unexpected(util::DecodeError{"secret key", kCheck, "missing after the checksum"});
  }
  const std::span<const std::uint8_t> check(plain->data(), kCheck);
  const std::span<const std::uint8_t> secret(plain->data() + kCheck, plain->size() - kCheck);
  const auto expected = crypto::hash(crypto::HashAlgorithm::sha256, secret);
  if (!std::equal(check.begin(), check.end(), expected.bytes().begin())) {
    return Unexpected(util::DecodeError{"checksum", 0,
                                        "SHA-256 of the key does not match: wrong passphrase?"});
  }
  return ServerSecret(std::vector<std::uint8_t>(secret.begin(), secret.end()));
}

std::vector<std::uint8_t> ServerSecret::to_windows_export(std::string_view passphrase_utf8) const {
  auto key = export_file_key(passphrase_utf8);
  if (!key) return {};
  std::vector<std::uint8_t> plain;
  const auto check = crypto::hash(crypto::HashAlgorithm::sha256, key_);
  plain.insert(plain.end(), check.bytes().begin(), check.bytes().end());
  plain.insert(plain.end(), key_.begin(), key_.end());
  auto encrypted = crypto::aes_cbc_encrypt(key->bytes(), kZeroIv, plain, crypto::Padding::pkcs7);
  return encrypted ? std::move(*encrypted) : std::vector<std::uint8_t>{};
}

crypto::Digest ServerSecret::ks(HashScheme scheme) const {
  return crypto::hash(scheme.algorithm, key_).truncated(scheme.hash_size());
}

crypto::Digest derive_kp(HashScheme scheme, const crypto::Digest& ks, const crypto::Digest& hod) {
  return crypto::hmac(scheme.algorithm, ks.bytes(), hod.bytes()).truncated(scheme.hash_size());
}

crypto::Digest derive_segment_id(HashScheme scheme, const crypto::Digest& kp,
                                 const crypto::Digest& hod) {
  return crypto::hmac(scheme.algorithm, kp.bytes(), hod.bytes(), kHoHoDkConstant)
      .truncated(scheme.hash_size());
}

}  // namespace peerdist::pccrc
