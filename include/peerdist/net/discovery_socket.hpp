// The UDP socket operations MS-PCCRD needs that Boost.Asio does not offer: which interface and
// local address a datagram came in on (IP_PKTINFO / IPV6_RECVPKTINFO, so that a responder can
// put "its address on that link" in XAddrs and a prober can apply the local-subnet rule),
// sending from a given local address and interface, and multicast membership and output by
// interface index rather than by address (an interface may have no IPv4 address of its own, or
// several).
//
// All calls work on a non-blocking socket and never wait: the endpoints wait for readiness with
// Asio's async_wait and then drain the socket with receive_datagram().
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include "peerdist/util/expected.hpp"

namespace peerdist::net {

struct ReceivedDatagram {
  std::size_t size = 0;    // bytes in the buffer
  bool truncated = false;  // the datagram was longer than the buffer (MSG_TRUNC)
  boost::asio::ip::udp::endpoint source;
  unsigned interface_index = 0;  // 0 when the kernel did not say
  // IPv4: the local address the kernel would answer from on that interface (ipi_spec_dst; for
  // a multicast datagram, the interface's address on the sender's subnet). IPv6: none (the
  // packet info only names the destination, a multicast group).
  std::optional<boost::asio::ip::address> local_address;
};

// Opens `socket` for `protocol`, non-blocking, close-on-exec, with packet info on; IPv6 sockets
// are IPv6-only (the IPv4 socket is separate). With `share_port`, SO_REUSEADDR and
// SO_REUSEPORT so that other WS-Discovery listeners (and other peerdistd instances) share the
// port. Binds to the wildcard address and `port` (0: ephemeral).
[[nodiscard]] std::error_code open_discovery_socket(boost::asio::ip::udp::socket& socket,
                                                    boost::asio::ip::udp protocol,
                                                    std::uint16_t port, bool share_port);

// One datagram into `buffer`, with its source and packet info; std::errc::operation_would_block
// when none is waiting.
[[nodiscard]] Expected<ReceivedDatagram, std::error_code> receive_datagram(
    boost::asio::ip::udp::socket& socket, std::span<std::uint8_t> buffer);

// Sends one datagram. `from` / `interface_index`, when given, choose the source address and
// the outgoing interface (IP_PKTINFO / IPV6_PKTINFO ancillary data).
[[nodiscard]] std::error_code send_datagram(boost::asio::ip::udp::socket& socket,
                                            std::span<const std::uint8_t> bytes,
                                            const boost::asio::ip::udp::endpoint& to,
                                            const std::optional<boost::asio::ip::address>& from,
                                            unsigned interface_index);

// Joins the multicast `group` (of the socket's family) on the interface with this index.
[[nodiscard]] std::error_code join_group(boost::asio::ip::udp::socket& socket,
                                         const boost::asio::ip::address& group,
                                         unsigned interface_index);

// Multicast sends go out on this interface from now on (IP_MULTICAST_IF with the index,
// IPV6_MULTICAST_IF). IPv4: from `source` (an address of that interface) when given; the
// kernel's own choice fails on an interface whose addresses are all host-scoped (lo gives
// 0.0.0.0, to which no reply can be sent).
[[nodiscard]] std::error_code set_multicast_interface(
    boost::asio::ip::udp::socket& socket, unsigned interface_index,
    const std::optional<boost::asio::ip::address_v4>& source = std::nullopt);

// Multicast hop limit and whether our own multicast comes back to this host's listeners.
[[nodiscard]] std::error_code set_multicast_scope(boost::asio::ip::udp::socket& socket, int hops,
                                                  bool loop);

}  // namespace peerdist::net
