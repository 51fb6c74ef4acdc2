// The responder seen from the wire, on lo in a namespace of the test's own: datagrams sent by
// hand (an iPXE-style probe, junk, other WS-Discovery traffic, our own prober's port) and what
// comes back, or does not.
#include <gtest/gtest.h>

#include <string>

#include "peerdist/wire/pccrd/constants.hpp"

#include "discovery_test_node.hpp"
#include "support/vector_file.hpp"

namespace peerdist::net::test {
namespace {

namespace pccrd = wire::pccrd;

constexpr const char* kLoopback = "127.0.0.1";
constexpr const char* kGroup = "239.255.255.250";

// What iPXE multicasts (spec digest §2.6): v1, one line, no whitespace between elements, one
// upper-case HoHoDk. Written here from the digest's skeleton (§2.3).
std::string ipxe_style_probe(const std::string& message_id, const std::string& hohodk_hex) {
  return std::string(R"(<?xml version="1.0" encoding="utf-8"?>)") +
         R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope")"
         R"( xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
         R"( xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
         R"( xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery">)"
         "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
         "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
         "<wsa:MessageID>" +
         message_id +
         "</wsa:MessageID></soap:Header><soap:Body><wsd:Probe>"
         "<wsd:Types>PeerDist:PeerDistData</wsd:Types>"
         R"(<wsd:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0">)" +
         hohodk_hex + "</wsd:Scopes></wsd:Probe></soap:Body></soap:Envelope>";
}

std::string upper_hex(const crypto::Digest& id) {
  std::string hex = id.hex();
  for (char& c : hex) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return hex;
}

// What iPXE's reply parser does: the text between the literal tags "<tag>" and "</tag>".
std::string between(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const auto start = xml.find(open);
  const auto end = xml.find("</" + tag + ">");
  if (start == std::string::npos || end == std::string::npos || end < start) return "<absent>";
  return xml.substr(start + open.size(), end - start - open.size());
}

class DiscoveryResponderTest : public LoopbackDiscoveryTest {};

TEST_F(DiscoveryResponderTest, IpxeStyleProbeGetsAProbeMatchIpxeCanRead) {
  // iis-85.png's v1 segment, held with 2 of its blocks.
  const crypto::Digest id(
      peerdist::test::VectorFile::load("ipxe-iis85-v1.txt").bytes("segment.0.hohodk_hex"));
  HeldSegments& held = segments();
  held.hold(id, 3, 2);
  DiscoveryResponder& r = responder(held);

  RawUdp ipxe(ns(), kLoopback);
  const std::string message_id = "urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9";
  ASSERT_TRUE(ipxe.send_to(ipxe_style_probe(message_id, upper_hex(id)), kGroup, pccrd::kUdpPort));
  const auto reply = ipxe.receive();
  ASSERT_TRUE(reply.has_value()) << "no ProbeMatch";
  EXPECT_EQ(reply->find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(between(*reply, "wsd:Scopes"), upper_hex(id));
  EXPECT_EQ(between(*reply, "wsd:XAddrs"), "127.0.0.1:8080");
  EXPECT_EQ(between(*reply, "PeerDist:BlockCount"), "00000002");
  EXPECT_EQ(between(*reply, "wsa:RelatesTo"), message_id);
  EXPECT_NE(reply->find(host().run([&] { return r.endpoint_address(); })), std::string::npos);
  // Answered once, not repeated.
  EXPECT_FALSE(ipxe.receive_now().has_value());
  const auto c = counters(r);
  EXPECT_EQ(c.probes, 1U);
  EXPECT_EQ(c.answered, 1U);
  EXPECT_EQ(c.malformed, 0U);
}

TEST_F(DiscoveryResponderTest, AppSequenceCountsEveryMessageOfTheInstance) {
  const crypto::Digest id = segment_id(0x11);
  HeldSegments& held = segments();
  held.hold(id, 1, 1);
  DiscoveryResponderOptions options = responder_options();
  options.instance_id = 1234;
  responder(held, options);
  RawUdp ipxe(ns(), kLoopback);
  for (int i = 1; i <= 2; ++i) {
    const std::string message_id =
        "urn:uuid:00000000-0000-4000-8000-00000000000" + std::to_string(i);
    ASSERT_TRUE(ipxe.send_to(ipxe_style_probe(message_id, upper_hex(id)), kGroup, pccrd::kUdpPort));
    const auto reply = ipxe.receive();
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->find(R"(InstanceId="1234" MessageNumber=")" + std::to_string(i) + "\""),
              std::string::npos)
        << *reply;
  }
}

TEST_F(DiscoveryResponderTest, RepeatedProbeIsAnsweredOnce) {
  const crypto::Digest id = segment_id(0x12);
  HeldSegments& held = segments();
  held.hold(id, 4, 4);
  DiscoveryResponder& r = responder(held);
  RawUdp ipxe(ns(), kLoopback);
  const std::string probe =
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000001", upper_hex(id));
  ASSERT_TRUE(ipxe.send_to(probe, kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(ipxe.receive().has_value());
  ASSERT_TRUE(ipxe.send_to(probe, kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(host().eventually([&] { return r.counters().duplicates == 1; }));
  EXPECT_FALSE(ipxe.receive_now().has_value());
  EXPECT_EQ(counters(r).answered, 1U);
}

TEST_F(DiscoveryResponderTest, ProbeOverBothFamiliesIsAnsweredOnEachWithItsAddress) {
  const crypto::Digest id = segment_id(0x13);
  HeldSegments& held = segments();
  held.hold(id, 2, 1);
  DiscoveryResponder& r = responder(held);
  if (!host().run([&] { return r.ipv6_active(); })) GTEST_SKIP() << "no IPv6 in the namespace";
  const std::string probe =
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-00000000000b", upper_hex(id));
  RawUdp over_v4(ns(), kLoopback);
  RawUdp over_v6(ns(), "::1");
  ASSERT_TRUE(over_v4.send_to(probe, kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(over_v6.send_to(probe, "::1", pccrd::kUdpPort));
  const auto reply4 = over_v4.receive();
  const auto reply6 = over_v6.receive();
  ASSERT_TRUE(reply4.has_value());
  ASSERT_TRUE(reply6.has_value());
  EXPECT_EQ(between(*reply4, "wsd:XAddrs"), "127.0.0.1:8080");
  EXPECT_EQ(between(*reply6, "wsd:XAddrs"), "[::1]:8080");
  EXPECT_EQ(counters(r).answered, 2U);
}

TEST_F(DiscoveryResponderTest, NothingHeldMeansNoReply) {
  HeldSegments& held = segments();
  held.hold(segment_id(0x21), 2, 0);  // known, but no block present
  DiscoveryResponder& r = responder(held);
  RawUdp ipxe(ns(), kLoopback);
  ASSERT_TRUE(ipxe.send_to(
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000002",
                       upper_hex(segment_id(0x21)) + " " + upper_hex(segment_id(0x22))),
      kGroup, pccrd::kUdpPort));
  // The decision is counted when it is taken, and nothing is sent after it.
  ASSERT_TRUE(host().eventually([&] { return r.counters().not_held == 1; }));
  EXPECT_FALSE(ipxe.receive_now().has_value());
  const auto c = counters(r);
  EXPECT_EQ(c.probes, 1U);
  EXPECT_EQ(c.answered, 0U);
  EXPECT_EQ(held.calls(), 1U);
}

TEST_F(DiscoveryResponderTest, MalformedAndOversizedDatagramsAreCountedNotAnswered) {
  const crypto::Digest id = segment_id(0x31);
  HeldSegments& held = segments();
  held.hold(id, 1, 1);
  DiscoveryResponder& r = responder(held);
  RawUdp sender(ns(), kLoopback);
  const std::string good =
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000003", upper_hex(id));
  ASSERT_TRUE(sender.send_to("not xml at all", kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(sender.send_to(good.substr(0, good.size() / 2), kGroup, pccrd::kUdpPort));
  // Empty Scopes: "silently discard" (spec digest §2.5).
  ASSERT_TRUE(sender.send_to(ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000004", ""),
                             kGroup, pccrd::kUdpPort));
  // The largest IPv4 datagram (65,507 bytes): a probe with text after its root.
  ASSERT_TRUE(sender.send_to(good + std::string(pccrd::kMaxDatagramSize - good.size(), 'x'),
                             kLoopback, pccrd::kUdpPort));
  std::uint64_t expected = 4;
  if (host().run([&] { return r.ipv6_active(); })) {
    // Over IPv6 a UDP payload may be 65,527 bytes: more than any message can be.
    RawUdp sender6(ns(), "::1");
    ASSERT_TRUE(
        sender6.send_to(std::string(pccrd::kMaxDatagramSize + 20, 'x'), "::1", pccrd::kUdpPort));
    expected = 5;
  }
  ASSERT_TRUE(host().eventually([&] { return r.counters().malformed == expected; }))
      << "malformed " << counters(r).malformed << " of " << counters(r).received;
  EXPECT_FALSE(sender.receive_now().has_value());
  const auto c = counters(r);
  EXPECT_EQ(c.probes, 0U);
  EXPECT_EQ(c.answered, 0U);
  EXPECT_EQ(held.calls(), 0U);
}

TEST_F(DiscoveryResponderTest, OtherWsDiscoveryTrafficIsNotForUs) {
  HeldSegments& held = segments();
  held.hold(segment_id(0x41), 1, 1);
  DiscoveryResponder& r = responder(held);
  RawUdp sender(ns(), kLoopback);
  const std::string peerdist_probe = ipxe_style_probe(
      "urn:uuid:abcdef01-0000-4000-8000-000000000005", upper_hex(segment_id(0x41)));
  // A camera's probe (other Types) and a Hello (other Action), both well-formed WS-Discovery.
  std::string camera = peerdist_probe;
  camera.replace(camera.find("PeerDist:PeerDistData"), 21, "wsd:NetworkVideoTransmitter");
  std::string hello = peerdist_probe;
  hello.replace(hello.find("discovery/Probe"), 15, "discovery/Hello");
  ASSERT_TRUE(sender.send_to(camera, kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(sender.send_to(hello, kGroup, pccrd::kUdpPort));
  ASSERT_TRUE(host().eventually([&] { return r.counters().not_for_us == 2; }));
  EXPECT_FALSE(sender.receive_now().has_value());
  const auto c = counters(r);
  EXPECT_EQ(c.malformed, 0U);
  EXPECT_EQ(c.probes, 0U);
  EXPECT_EQ(held.calls(), 0U);
}

TEST_F(DiscoveryResponderTest, ProbeFromOurProbersPortIsOwn) {
  const crypto::Digest id = segment_id(0x51);
  HeldSegments& held = segments();
  held.hold(id, 1, 1);
  RawUdp our_prober(ns(), kLoopback);
  auto own = std::make_shared<DiscoveryOwnProbes>();
  own->set_prober_ports(our_prober.port(), std::nullopt);
  DiscoveryResponderOptions options = responder_options();
  options.own_probes = own;
  DiscoveryResponder& r = responder(held, options);
  // A message ID the prober never registered: recognised by the source endpoint alone.
  ASSERT_TRUE(our_prober.send_to(
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000006", upper_hex(id)), kGroup,
      pccrd::kUdpPort));
  ASSERT_TRUE(host().eventually([&] { return r.counters().own == 1; }));
  // The same probe from another port of this host is someone else's: answered.
  RawUdp other(ns(), kLoopback);
  ASSERT_TRUE(other.send_to(
      ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000007", upper_hex(id)), kGroup,
      pccrd::kUdpPort));
  EXPECT_TRUE(other.receive().has_value());
  EXPECT_FALSE(our_prober.receive_now().has_value());
  const auto c = counters(r);
  EXPECT_EQ(c.own, 1U);
  EXPECT_EQ(c.answered, 1U);
}

TEST_F(DiscoveryResponderTest, StartRefusesWithoutAPortToAdvertise) {
  HeldSegments& held = segments();
  DiscoveryResponderOptions options = responder_options();
  options.pccrr_port = 0;
  auto& r = host().make<DiscoveryResponder>(host().executor(), held, options);
  EXPECT_FALSE(host().run([&] { return r.start().has_value(); }));
  options.advertise = {"not an address"};
  auto& r2 = host().make<DiscoveryResponder>(host().executor(), held, options);
  EXPECT_FALSE(host().run([&] { return r2.start().has_value(); }));
}

TEST_F(DiscoveryResponderTest, AdvertisedAddressesReplaceTheInterfaceAddress) {
  const crypto::Digest id = segment_id(0x61);
  HeldSegments& held = segments();
  held.hold(id, 1, 1);
  DiscoveryResponderOptions options = responder_options();
  options.advertise = {"http://192.0.2.7:8081/", "[2001:db8::7]:8082"};
  responder(held, options);
  RawUdp ipxe(ns(), kLoopback);
  ASSERT_TRUE(
      ipxe.send_to(ipxe_style_probe("urn:uuid:abcdef01-0000-4000-8000-000000000008", upper_hex(id)),
                   kGroup, pccrd::kUdpPort));
  const auto reply = ipxe.receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(between(*reply, "wsd:XAddrs"), "192.0.2.7:8081 [2001:db8::7]:8082");
}

}  // namespace
}  // namespace peerdist::net::test
