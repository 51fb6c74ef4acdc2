#include "peerdist/wire/pccrd/message_id.hpp"

#include <algorithm>
#include <array>

#include "peerdist/crypto/random.hpp"
#include "peerdist/util/hex.hpp"
#include "peerdist/wire/pccrd/constants.hpp"

namespace peerdist::wire::pccrd {

std::string new_message_id() {
  std::array<std::uint8_t, 16> uuid{};
  crypto::random_fill(uuid);
  uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0FU) | 0x40U);  // version 4
  uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  const std::string hex = util::to_hex(uuid);
  std::string out(kUuidUrnPrefix);
  out += hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
  return out;
}

bool valid_uri_value(std::string_view text) noexcept {
  return !text.empty() && text.size() <= kMaxUriLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

}  // namespace peerdist::wire::pccrd
