// Small helpers of the wire_pccrr tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace peerdist::wire::pccrr::test {

// "00000001 0000 0003" -> bytes; spaces and '|' are ignored so layouts can be written field by
// field.
std::vector<std::uint8_t> hex(std::string_view text);

// Big-endian u32 at `at`.
std::uint32_t get_be32(const std::vector<std::uint8_t>& bytes, std::size_t at);
void put_be32(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint32_t v);

}  // namespace peerdist::wire::pccrr::test
