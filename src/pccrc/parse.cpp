// parse(): size cap and version dispatch (spec digest §2); the layouts are in parse_v1.cpp and
// parse_v2.cpp.
#include <cstdio>

#include "peerdist/pccrc/codec.hpp"

#include "parse_detail.hpp"

namespace peerdist::pccrc {

Expected<ContentInformation, util::DecodeError> parse(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxContentInformationSize) {
    return detail::fail(0, "content information",
                        std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                            std::to_string(kMaxContentInformationSize));
  }
  if (bytes.size() < 2) {
    return detail::fail(0, "Version",
                        "needs 2 bytes, only " + std::to_string(bytes.size()) + " left");
  }
  // Both versions start with minor, major: V1 is the LE word 0x0100, V2 the bytes 00 02.
  if (bytes[0] == 0x00 && bytes[1] == 0x01) return detail::parse_v1(bytes);
  if (bytes[0] == 0x00 && bytes[1] == 0x02) return detail::parse_v2(bytes);
  char found[8];
  std::snprintf(found, sizeof found, "%02x %02x", bytes[0], bytes[1]);
  return detail::fail(0, "Version", std::string("must be 00 01 (V1) or 00 02 (V2), got ") + found);
}

}  // namespace peerdist::pccrc
