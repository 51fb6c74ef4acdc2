// Discovery across a network: three namespaces on one bridge (veth pairs), each a host with
// its own eth0 address. The prober in one hears the responders in the others over real
// multicast, over IPv4 and over IPv6 link-local.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "discovery_test_node.hpp"

namespace peerdist::net::test {
namespace {

namespace ip = boost::asio::ip;
namespace pccrd = wire::pccrd;

constexpr std::uint16_t kPccrrPort = 8080;
constexpr unsigned kSubnet = 77;

class DiscoveryBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string reason = peerdist::test::netns_unavailable_reason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    network_ = std::make_unique<peerdist::test::BridgedNetwork>(3, kSubnet);
    ASSERT_TRUE(network_->valid());
    for (std::size_t i = 0; i < network_->size(); ++i) {
      hosts_.push_back(std::make_unique<Host>(network_->host(i)));
      ASSERT_TRUE(hosts_.back()->ok());
    }
  }
  void TearDown() override {
    hosts_.clear();
    network_.reset();
  }

  // Responders on hosts 1 and 2, each holding segment 1 (with 1 and 2 blocks); a prober on
  // host 0. Default interfaces: every up, multicast, non-loopback one, i.e. eth0.
  std::vector<PeerOffer> discover(bool ipv4, bool ipv6, std::set<std::string>* peers) {
    for (std::size_t i = 1; i < hosts_.size(); ++i) {
      Host& host = *hosts_[i];
      auto& held = host.make<HeldSegments>(host.executor());
      held.hold(segment_id(1), 4, static_cast<std::uint32_t>(i));
      DiscoveryResponderOptions options;
      options.ipv4 = ipv4;
      options.ipv6 = ipv6;
      options.pccrr_port = kPccrrPort;
      options.delay = shortest_delay();
      auto& r = host.make<DiscoveryResponder>(host.executor(), held, options);
      EXPECT_TRUE(host.run([&] { return r.start().has_value(); }));
      if (ipv6) {
        EXPECT_TRUE(host.run([&] { return r.ipv6_active(); }));
      }
      peers->insert(host.run([&] { return r.endpoint_address(); }));
    }
    Host& host = *hosts_[0];
    DiscoveryProberOptions options;
    options.ipv4 = ipv4;
    options.ipv6 = ipv6;
    options.wait = std::chrono::milliseconds(1000);
    options.delay = shortest_delay();
    auto& p = host.make<DiscoveryProber>(host.executor(), options);
    prober_ = &p;
    EXPECT_TRUE(host.run([&] { return p.start().has_value(); }));
    const auto outcome = probe_and_wait(host, p, pccrd::Version::v1, {segment_id(1)});
    return outcome ? outcome->offers : std::vector<PeerOffer>{};
  }

  [[nodiscard]] const peerdist::test::BridgedNetwork& network() const { return *network_; }

  [[nodiscard]] DiscoveryProberCounters prober_counters() {
    return hosts_[0]->run([&] { return prober_->counters(); });
  }

 private:
  std::unique_ptr<peerdist::test::BridgedNetwork> network_;
  std::vector<std::unique_ptr<Host>> hosts_;
  DiscoveryProber* prober_ = nullptr;  // made by discover(), on host 0
};

TEST_F(DiscoveryBridgeTest, AResponderOnAnotherSubnetOfTheLinkIsIgnored) {
  // Host 1 moves to 10.79.0.2/24 on the same Ethernet segment, with a route back to the
  // prober's subnet; its answers come from 10.79.0.2, outside the prober's 10.77.0.0/24
  // (spec digest §2.1: only replies from the local subnet count). The prober's host does not
  // drop them by reverse-path filtering, so that the prober itself has to.
  const auto& moved = network().host(1);
  ASSERT_TRUE(moved.ip({"addr", "flush", "dev", "eth0"}));
  ASSERT_TRUE(moved.ip({"addr", "add", "10.79.0.2/24", "dev", "eth0"}));
  ASSERT_TRUE(moved.ip({"route", "add", network().address(0) + "/32", "dev", "eth0"}));
  ASSERT_TRUE(network().host(0).sysctl("net.ipv4.conf.all.rp_filter", "0"));
  ASSERT_TRUE(network().host(0).sysctl("net.ipv4.conf.eth0.rp_filter", "0"));
  std::set<std::string> peers;
  const auto offers = discover(true, false, &peers);
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].source, ip::make_address(network().address(2)));
  EXPECT_EQ(prober_counters().off_subnet, 1U);
}

TEST_F(DiscoveryBridgeTest, ProberHearsRespondersOnOtherHostsOverIpv4) {
  std::set<std::string> peers;
  const auto offers = discover(true, false, &peers);
  ASSERT_EQ(offers.size(), 2U);
  std::set<std::string> answered;
  for (const PeerOffer& offer : offers) {
    answered.insert(offer.endpoint_address);
    // Host i answers from its eth0 address, and advertises it with the PCCRR port.
    const std::size_t i = offer.source == ip::make_address(network().address(1)) ? 1 : 2;
    EXPECT_EQ(offer.source, ip::make_address(network().address(i)));
    EXPECT_EQ(
        offer.endpoints,
        (std::vector<ip::tcp::endpoint>{{ip::make_address(network().address(i)), kPccrrPort}}));
    ASSERT_EQ(offer.segments.size(), 1U);
    EXPECT_EQ(offer.segments[0].block_count, static_cast<std::uint32_t>(i));
  }
  EXPECT_EQ(answered, peers);
}

TEST_F(DiscoveryBridgeTest, ProberHearsRespondersOnOtherHostsOverIpv6) {
  std::set<std::string> peers;
  const auto offers = discover(false, true, &peers);
  ASSERT_EQ(offers.size(), 2U);
  std::set<std::string> answered;
  for (const PeerOffer& offer : offers) {
    answered.insert(offer.endpoint_address);
    ASSERT_TRUE(offer.source.is_v6());
    EXPECT_TRUE(offer.source.to_v6().is_link_local());
    ASSERT_EQ(offer.endpoints.size(), 1U);
    const ip::tcp::endpoint& e = offer.endpoints[0];
    EXPECT_EQ(e.port(), kPccrrPort);
    // The link-local XAddr is the responder's own address, reachable through the interface the
    // match came in on.
    ASSERT_TRUE(e.address().is_v6());
    EXPECT_EQ(e.address().to_v6().to_bytes(), offer.source.to_v6().to_bytes());
    EXPECT_EQ(e.address().to_v6().scope_id(), offer.interface_index);
    EXPECT_NE(offer.interface_index, 0U);
  }
  EXPECT_EQ(answered, peers);
}

}  // namespace
}  // namespace peerdist::net::test
