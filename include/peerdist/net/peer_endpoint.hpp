// The "host:port" form of an MS-PCCRR endpoint in the configuration (`[distributed] peers`,
// `listen`): an IPv4 literal "10.1.2.3:8080", or an IPv6 literal in brackets "[fe80::1%eth0]:80"
// (RFC 3986, as XAddrs write them, A20). Names are not resolved: a daemon must not block its
// start on DNS, and a branch's peers are addressed by IP anyway.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>

#include "peerdist/util/expected.hpp"

namespace peerdist::net {

// The endpoint, or why the text is none ("port missing", "not an IP address", ...). Port 0 is
// refused: nothing serves on it.
[[nodiscard]] Expected<boost::asio::ip::tcp::endpoint, std::string> parse_peer_endpoint(
    std::string_view text);

// An address literal without a port ("0.0.0.0", "::", "fe80::1%eth0"), for listen addresses.
[[nodiscard]] Expected<boost::asio::ip::address, std::string> parse_ip_address(
    std::string_view text);

// "10.1.2.3:8080", "[::1]:80": the form parse_peer_endpoint reads.
[[nodiscard]] std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace peerdist::net
