// The MS-PCCRR protocol version (MESSAGE_HEADER.ProtVer, and the Min/Max fields of the
// negotiation messages): spec digest §1.4.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace peerdist::wire::pccrr {

struct ProtocolVersion {
  // Declared major first so that the defaulted ordering compares major, then minor.
  std::uint16_t major = 0;
  std::uint16_t minor = 0;

  // The 32-bit wire form, written big-endian: bytes 0-1 are the minor version and bytes 2-3 the
  // major version, so 1.0 travels as 00 00 00 01 and 1.1 as 00 01 00 01.
  [[nodiscard]] constexpr std::uint32_t to_wire() const noexcept {
    return (std::uint32_t{minor} << 16U) | major;
  }
  [[nodiscard]] static constexpr ProtocolVersion from_wire(std::uint32_t wire) noexcept {
    return {static_cast<std::uint16_t>(wire & 0xFFFFU), static_cast<std::uint16_t>(wire >> 16U)};
  }
  // "1.0"
  [[nodiscard]] std::string to_string() const;

  friend constexpr auto operator<=>(ProtocolVersion, ProtocolVersion) = default;
};

// A13: every message is sent with the version that defined its type: 1.0 for types 0-5 (and the
// versions we advertise run from 1.0 to 2.0), 2.0 for MSG_GETSEGLIST and MSG_SEGLIST.
inline constexpr ProtocolVersion kVersion1{1, 0};
inline constexpr ProtocolVersion kVersion2{2, 0};

// Major versions whose message layouts this codec knows. Minor versions of a major version are
// compatible by definition, so any minor is accepted.
[[nodiscard]] constexpr bool is_known_major(ProtocolVersion v) noexcept {
  return v.major == kVersion1.major || v.major == kVersion2.major;
}

}  // namespace peerdist::wire::pccrr
