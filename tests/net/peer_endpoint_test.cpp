// The "host:port" endpoints of `[distributed] peers` and the listen addresses.
#include "peerdist/net/peer_endpoint.hpp"

#include <gtest/gtest.h>

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;

TEST(PeerEndpointTest, ReadsIpv4AndBracketedIpv6) {
  auto v4 = parse_peer_endpoint("10.1.2.3:8080");
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_EQ(*v4, ip::tcp::endpoint(ip::make_address("10.1.2.3"), 8080));
  auto v6 = parse_peer_endpoint("[fe80::1]:80");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(*v6, ip::tcp::endpoint(ip::make_address("fe80::1"), 80));
  auto max = parse_peer_endpoint("127.0.0.1:65535");
  ASSERT_TRUE(max) << max.error();
  EXPECT_EQ(max->port(), 65535);
}

TEST(PeerEndpointTest, WritesWhatItReads) {
  for (const char* text : {"10.1.2.3:8080", "[::1]:80", "[fe80::1]:3702"}) {
    auto endpoint = parse_peer_endpoint(text);
    ASSERT_TRUE(endpoint) << text;
    EXPECT_EQ(to_string(*endpoint), text);
  }
}

TEST(PeerEndpointTest, RefusesWhatIsNoEndpoint) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.1.2.3", "no port"},
      {"10.1.2.3:", "the port must be a number from 1 to 65535"},
      {"10.1.2.3:0", "the port must be a number from 1 to 65535"},
      {"10.1.2.3:65536", "the port must be a number from 1 to 65535"},
      {"10.1.2.3:80x", "the port must be a number from 1 to 65535"},
      {"10.1.2.3:-1", "the port must be a number from 1 to 65535"},
      {"peer.example:80", "is not an IP address (names are not resolved)"},
      {"::1:80", "an IPv6 address goes in brackets"},
      {"[::1]", "no port"},
      {"[::1:80", "no ']'"},
      {"[nonsense]:80", "is not an IP address"},
      {"", "no port"},
  };
  for (const auto& [text, why] : cases) {
    auto endpoint = parse_peer_endpoint(text);
    ASSERT_FALSE(endpoint) << text;
    EXPECT_NE(endpoint.error().find(why), std::string::npos) << text << ": " << endpoint.error();
    EXPECT_EQ(endpoint.error().rfind(std::string("'") + text + "'", 0), 0U) << endpoint.error();
  }
}

TEST(PeerEndpointTest, ListenAddresses) {
  EXPECT_EQ(parse_ip_address("0.0.0.0").value(), ip::address(ip::address_v4::any()));
  EXPECT_EQ(parse_ip_address("::").value(), ip::address(ip::address_v6::any()));
  EXPECT_FALSE(parse_ip_address("localhost"));
  EXPECT_FALSE(parse_ip_address("10.0.0.1:80"));
}

}  // namespace
}  // namespace peerdist::net
