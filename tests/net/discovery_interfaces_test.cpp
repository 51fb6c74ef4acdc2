// Which interfaces discovery uses, and the local-subnet rule for ProbeMatches (§2.1).
#include "peerdist/net/discovery_interfaces.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/netns.hpp"

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;

NetworkInterface interface(std::string name, unsigned index, bool up, bool loopback, bool multicast,
                           std::vector<InterfaceAddress> addresses = {}) {
  NetworkInterface i;
  i.name = std::move(name);
  i.index = index;
  i.up = up;
  i.loopback = loopback;
  i.multicast = multicast;
  i.addresses = std::move(addresses);
  return i;
}

std::vector<NetworkInterface> sample() {
  return {interface("lo", 1, true, true, false), interface("eth0", 2, true, false, true),
          interface("eth1", 3, false, false, true), interface("tun0", 4, true, false, false),
          interface("wlan0", 5, true, false, true)};
}

std::vector<std::string> names(const InterfaceSelection& s) {
  std::vector<std::string> out;
  for (const auto& i : s.interfaces) out.push_back(i.name);
  return out;
}

TEST(DiscoveryInterfaces, DefaultIsEveryUpMulticastNonLoopbackInterface) {
  const auto s = select_interfaces(sample(), {});
  EXPECT_EQ(names(s), (std::vector<std::string>{"eth0", "wlan0"}));
  EXPECT_TRUE(s.missing.empty());
}

TEST(DiscoveryInterfaces, NamedInterfacesInTheirOrderLoopbackIncludedMissingReported) {
  const std::vector<std::string> wanted{"wlan0", "lo", "eth1", "nope", "wlan0"};
  const auto s = select_interfaces(sample(), wanted);
  EXPECT_EQ(names(s), (std::vector<std::string>{"wlan0", "lo"}));
  EXPECT_EQ(s.missing, (std::vector<std::string>{"eth1", "nope"}));  // eth1 is down
}

TEST(DiscoveryInterfaces, LocalSubnetRule) {
  ip::address_v6 link_local = ip::make_address_v6("fe80::1");
  link_local.scope_id(2);
  const NetworkInterface eth0 = interface("eth0", 2, true, false, true,
                                          {{ip::make_address("10.1.2.3"), 24},
                                           {ip::make_address("2001:db8:1::5"), 64},
                                           {link_local, 64}});
  EXPECT_TRUE(on_local_subnet(eth0, ip::make_address("10.1.2.200")));
  EXPECT_FALSE(on_local_subnet(eth0, ip::make_address("10.1.3.1")));
  EXPECT_FALSE(on_local_subnet(eth0, ip::make_address("192.168.1.1")));
  EXPECT_TRUE(on_local_subnet(eth0, ip::make_address("2001:db8:1::99")));
  EXPECT_FALSE(on_local_subnet(eth0, ip::make_address("2001:db8:2::99")));
  EXPECT_TRUE(on_local_subnet(eth0, ip::make_address("fe80::abcd")));
  const NetworkInterface odd =
      interface("eth1", 3, true, false, true, {{ip::make_address("172.16.5.1"), 20}});
  EXPECT_TRUE(on_local_subnet(odd, ip::make_address("172.16.15.255")));
  EXPECT_FALSE(on_local_subnet(odd, ip::make_address("172.16.16.0")));
  EXPECT_FALSE(on_local_subnet(interface("x", 4, true, false, true), ip::make_address("10.0.0.1")));
}

TEST(DiscoveryInterfaces, LocalAddressesIgnoreTheScope) {
  ip::address_v6 link_local = ip::make_address_v6("fe80::1");
  link_local.scope_id(2);
  const std::vector<NetworkInterface> all{interface(
      "eth0", 2, true, false, true, {{ip::make_address("10.1.2.3"), 24}, {link_local, 64}})};
  EXPECT_TRUE(is_local_address(all, ip::make_address("10.1.2.3")));
  EXPECT_FALSE(is_local_address(all, ip::make_address("10.1.2.4")));
  ip::address_v6 other_scope = ip::make_address_v6("fe80::1");
  other_scope.scope_id(7);
  EXPECT_TRUE(is_local_address(all, other_scope));
}

TEST(DiscoveryInterfaces, ListsTheInterfacesOfTheThreadsNamespace) {
  if (const std::string reason = test::netns_unavailable_reason(); !reason.empty()) {
    GTEST_SKIP() << reason;
  }
  test::NetworkNamespace ns("list");
  ASSERT_TRUE(ns.valid());
  // A veth pair inside the namespace: two interfaces with addresses of our choosing.
  ASSERT_TRUE(ns.ip({"link", "add", "a7", "type", "veth", "peer", "name", "b7"}));
  ASSERT_TRUE(ns.ip({"addr", "add", "192.168.77.5/26", "dev", "a7"}));
  ASSERT_TRUE(ns.ip({"link", "set", "a7", "up"}));
  ASSERT_TRUE(ns.ip({"link", "set", "lo", "up"}));
  const test::EnterNamespace enter(ns);
  ASSERT_TRUE(enter.entered());
  const auto all = list_interfaces();
  ASSERT_TRUE(all.has_value()) << all.error();
  ASSERT_EQ(all->size(), 3U);  // lo, a7, b7: nothing of the machine's own
  const NetworkInterface& lo = (*all)[0];
  EXPECT_EQ(lo.name, "lo");
  EXPECT_TRUE(lo.loopback);
  EXPECT_TRUE(lo.up);
  EXPECT_EQ(lo.first_v4(), ip::make_address_v4("127.0.0.1"));
  const auto a7 = std::find_if(all->begin(), all->end(),
                               [](const NetworkInterface& i) { return i.name == "a7"; });
  ASSERT_NE(a7, all->end());
  EXPECT_FALSE(a7->loopback);
  EXPECT_TRUE(a7->multicast);
  ASSERT_EQ(a7->first_v4(), ip::make_address_v4("192.168.77.5"));
  EXPECT_TRUE(on_local_subnet(*a7, ip::make_address("192.168.77.62")));
  EXPECT_FALSE(on_local_subnet(*a7, ip::make_address("192.168.77.64")));
  const auto b7 = std::find_if(all->begin(), all->end(),
                               [](const NetworkInterface& i) { return i.name == "b7"; });
  ASSERT_NE(b7, all->end());
  EXPECT_FALSE(b7->up);
  EXPECT_FALSE(b7->first_v4().has_value());
  // Only a7 qualifies by default: lo is loopback, b7 is down.
  const auto selected = select_interfaces(*all, {});
  ASSERT_EQ(selected.interfaces.size(), 1U);
  EXPECT_EQ(selected.interfaces[0].name, "a7");
}

}  // namespace
}  // namespace peerdist::net
