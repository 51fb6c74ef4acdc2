#include "peerdist/wire/pccrd/base64.hpp"

#include <array>

namespace peerdist::wire::pccrd {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for an alphabet character, -1 otherwise.
constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> kTable = make_table();

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16U) | (std::uint32_t{bytes[i + 1]} << 8U) | bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18U) & 63U]);
    out.push_back(kAlphabet[(v >> 12U) & 63U]);
    out.push_back(kAlphabet[(v >> 6U) & 63U]);
    out.push_back(kAlphabet[v & 63U]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t v = std::uint32_t{bytes[i]} << 16U;
  if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8U;
  out.push_back(kAlphabet[(v >> 18U) & 63U]);
  out.push_back(kAlphabet[(v >> 12U) & 63U]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6U) & 63U] : '=');
  out.push_back('=');
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3 - padding);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t digits = last ? 4 - padding : 4;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      v <<= 6U;
      if (k >= digits) continue;  // a padding position ('=' checked below)
      const std::int8_t d = kTable[static_cast<unsigned char>(text[i + k])];
      if (d < 0) return std::nullopt;
      v |= static_cast<std::uint32_t>(d);
    }
    for (std::size_t k = digits; k < 4; ++k) {
      if (text[i + k] != '=') return std::nullopt;
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16U));
    if (digits >= 3) out.push_back(static_cast<std::uint8_t>(v >> 8U));
    if (digits == 4) out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

}  // namespace peerdist::wire::pccrd
