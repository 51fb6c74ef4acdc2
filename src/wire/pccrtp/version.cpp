#include "peerdist/wire/pccrtp/version.hpp"

#include "peerdist/util/checked.hpp"

namespace peerdist::wire::pccrtp {
namespace {

// Digits only, at least one, within 32 bits.
std::optional<std::uint32_t> parse_part(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto times_ten = util::checked_mul<std::uint32_t>(value, 10U);
    if (!times_ten) return std::nullopt;
    const auto sum =
        util::checked_add<std::uint32_t>(*times_ten, static_cast<std::uint32_t>(c - '0'));
    if (!sum) return std::nullopt;
    value = *sum;
  }
  return value;
}

}  // namespace

std::optional<Version> parse_version(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto major = parse_part(text.substr(0, dot));
  const auto minor = parse_part(text.substr(dot + 1));
  if (!major || !minor) return std::nullopt;
  return Version{*major, *minor};
}

std::string to_string(Version version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

}  // namespace peerdist::wire::pccrtp
