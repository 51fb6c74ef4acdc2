// The server secret and the per-segment keys derived from it (spec digest §6, §9).
//
//   Ks     = H(server secret key)                       V2: SHA-512(...)[0..31]
//   Kp     = HMAC_H(Ks, HoD)                            V2: HMAC-SHA-512(...)[0..31]
//   HoHoDk = HMAC_H(Kp, HoD || C2)                      V2: HMAC-SHA-512(...)[0..31]
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::pccrc {

// The "server secret key" of MS-PCCRC 2.5: an arbitrary binary string every server that
// publishes the same content must share.
class ServerSecret {
 public:
  explicit ServerSecret(std::vector<std::uint8_t> key) : key_(std::move(key)) {}

  // 32 random bytes (what a new server without configuration uses).
  [[nodiscard]] static ServerSecret random();
  // `netsh branchcache set key passphrase=...`: the key is the passphrase in UTF-16LE without a
  // terminator. Fails on invalid UTF-8 or an empty passphrase.
  [[nodiscard]] static Expected<ServerSecret, std::string> from_passphrase(std::string_view utf8);
  // A file written by `netsh branchcache exportkey FILE PASSPHRASE`: AES-256-CBC (key =
  // SHA-256(UTF-16LE(passphrase)), IV = 0, PKCS#7) over SHA-256(key) || key.
  [[nodiscard]] static Expected<ServerSecret, util::DecodeError> from_windows_export(
      std::span<const std::uint8_t> file, std::string_view passphrase_utf8);
  // The inverse, so that a Linux server's key can be moved to Windows (and for tests).
  [[nodiscard]] std::vector<std::uint8_t> to_windows_export(std::string_view passphrase_utf8) const;

  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return key_; }
  // Ks for a hash scheme.
  [[nodiscard]] crypto::Digest ks(HashScheme scheme) const;

 private:
  std::vector<std::uint8_t> key_;
};

[[nodiscard]] crypto::Digest derive_kp(HashScheme scheme, const crypto::Digest& ks,
                                       const crypto::Digest& hod);
[[nodiscard]] crypto::Digest derive_segment_id(HashScheme scheme, const crypto::Digest& kp,
                                               const crypto::Digest& hod);

// UTF-8 to UTF-16LE bytes (no terminator); nullopt-like failure for invalid UTF-8.
[[nodiscard]] Expected<std::vector<std::uint8_t>, std::string> utf16le(std::string_view utf8);

}  // namespace peerdist::pccrc
