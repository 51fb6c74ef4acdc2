#include "test_util.hpp"

#include <stdexcept>
#include <string>

namespace peerdist::wire::pccrr::test {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::invalid_argument(std::string("not a hex digit: ") + c);
}

}  // namespace

std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ' || c == '|' || c == '\n') continue;
    if (high < 0) {
      high = nibble(c);
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | nibble(c)));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

std::uint32_t get_be32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return (std::uint32_t{bytes.at(at)} << 24U) | (std::uint32_t{bytes.at(at + 1)} << 16U) |
         (std::uint32_t{bytes.at(at + 2)} << 8U) | bytes.at(at + 3);
}

void put_be32(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint32_t v) {
  bytes.at(at) = static_cast<std::uint8_t>(v >> 24U);
  bytes.at(at + 1) = static_cast<std::uint8_t>(v >> 16U);
  bytes.at(at + 2) = static_cast<std::uint8_t>(v >> 8U);
  bytes.at(at + 3) = static_cast<std::uint8_t>(v);
}

}  // namespace peerdist::wire::pccrr::test
