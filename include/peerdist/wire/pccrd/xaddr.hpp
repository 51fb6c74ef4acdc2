// wsd:XAddrs entries: where a peer serves MS-PCCRR (spec digest §2.4, A20). The spec writes
// "address:port" without a scheme; iPXE pastes each entry into "http://<entry>/...", which works
// for IPv6 only in brackets. We send "a.b.c.d:port" and "[v6]:port", and accept what others
// might send: an optional "http://", a host name, no port (HTTP's 80), a trailing '/'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peerdist::wire::pccrd {

struct XAddr {
  std::string host;  // IPv4 dotted quad, host name, or IPv6 (no brackets, maybe "%zone")
  std::uint16_t port = 0;
  friend bool operator==(const XAddr&, const XAddr&) = default;
};

inline constexpr std::uint16_t kDefaultHttpPort = 80;

// One entry as it travels: "host:port", the IPv6 host in brackets.
[[nodiscard]] std::string to_string(const XAddr& xaddr);

// One received entry; nullopt unless it is [http://]host[:port][/] with a plausible host (IPv4
// or name: letters, digits, '.', '-', '_'; IPv6: hex digits, ':', '.', then an optional
// "%zone") and a port of 1..65535.
[[nodiscard]] std::optional<XAddr> parse_xaddr(std::string_view entry);

// parse_xaddr() then to_string(): the form the decoder stores and the encoder requires.
[[nodiscard]] std::optional<std::string> normalize_xaddr(std::string_view entry);

}  // namespace peerdist::wire::pccrd
