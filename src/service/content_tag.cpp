#include "peerdist/service/content_tag.hpp"

#include <algorithm>
#include <string_view>

#include "peerdist/crypto/hash.hpp"

namespace peerdist::service {
namespace {

// Domain separation: these hashes are never confused with any other SHA-256 of the project.
constexpr std::string_view kTagLabel = "peerdist content tag";

}  // namespace

store::ContentTag user_tag(std::uint32_t uid, const store::ContentTag& tag) {
  crypto::Hasher hasher(crypto::HashAlgorithm::sha256);
  hasher.update({reinterpret_cast<const std::uint8_t*>(kTagLabel.data()),  // NOLINT: bytes
                 kTagLabel.size()});
  const std::uint8_t uid_bytes[4] = {
      // NOLINT(*-avoid-c-arrays): four bytes
      static_cast<std::uint8_t>(uid), static_cast<std::uint8_t>(uid >> 8U),
      static_cast<std::uint8_t>(uid >> 16U), static_cast<std::uint8_t>(uid >> 24U)};
  hasher.update(uid_bytes);
  hasher.update(tag);
  const crypto::Digest digest = hasher.finish();
  store::ContentTag out{};
  std::copy_n(digest.bytes().begin(), out.size(), out.begin());
  return out;
}

}  // namespace peerdist::service
