// Prober and responders together on lo in a namespace of the test's own: real multicast, real
// unicast answers, v1 and v2, several responders sharing port 3702, own probes, cancellation.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "peerdist/wire/pccrd/encode.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"

#include "discovery_test_node.hpp"

namespace peerdist::net::test {
namespace {

namespace ip = boost::asio::ip;
namespace pccrd = wire::pccrd;
using std::chrono::milliseconds;
using std::chrono::seconds;

class DiscoveryProberTest : public LoopbackDiscoveryTest {};

ip::tcp::endpoint loopback_pccrr() {
  return {ip::make_address("127.0.0.1"), LoopbackDiscoveryTest::kPccrrPort};
}

TEST_F(DiscoveryProberTest, V1ProbeFindsHeldSegmentsWithBlockCounts) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 5, 3);
  held.hold(segment_id(3), 2, 2);
  DiscoveryResponder& r = responder(held);
  DiscoveryProber& p = prober();
  const auto outcome =
      probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(1), segment_id(2), segment_id(3)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 1U);
  const PeerOffer& offer = outcome->offers[0];
  EXPECT_EQ(offer.version, pccrd::Version::v1);
  EXPECT_EQ(offer.source, ip::make_address("127.0.0.1"));
  EXPECT_EQ(offer.endpoint_address, host().run([&] { return r.endpoint_address(); }));
  EXPECT_EQ(offer.endpoints, std::vector<ip::tcp::endpoint>{loopback_pccrr()});
  ASSERT_EQ(offer.segments.size(), 2U);
  EXPECT_EQ(offer.segments[0], (SegmentOffer{0, segment_id(1), 3U, true, false, std::nullopt}));
  EXPECT_EQ(offer.segments[1], (SegmentOffer{2, segment_id(3), 2U, true, false, std::nullopt}));
  EXPECT_EQ(outcome->summary.probes, 1U);
  EXPECT_EQ(outcome->summary.offers, 1U);
  EXPECT_GE(outcome->summary.datagrams_sent, 2U);  // sent twice (A34)
  const auto c = counters(r);
  EXPECT_EQ(c.probes, 1U);
  EXPECT_EQ(c.answered, 1U);
  EXPECT_GE(c.duplicates, 1U);  // the repeat
}

TEST_F(DiscoveryProberTest, V2ProbeFindsPresenceAndAges) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 4, 1, seconds(120));
  held.hold(segment_id(3), 1, 1, seconds(5));
  responder(held);
  DiscoveryProber& p = prober();
  const auto outcome =
      probe_and_wait(host(), p, pccrd::Version::v2, {segment_id(1), segment_id(2), segment_id(3)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 1U);
  const PeerOffer& offer = outcome->offers[0];
  EXPECT_EQ(offer.version, pccrd::Version::v2);
  EXPECT_EQ(offer.endpoints, std::vector<ip::tcp::endpoint>{loopback_pccrr()});
  ASSERT_EQ(offer.segments.size(), 2U);
  EXPECT_EQ(offer.segments[0],
            (SegmentOffer{0, segment_id(1), std::nullopt, true, false, milliseconds(120000)}));
  EXPECT_EQ(offer.segments[1],
            (SegmentOffer{2, segment_id(3), std::nullopt, true, true, milliseconds(5000)}));
}

TEST_F(DiscoveryProberTest, V1ProbeForAV2SegmentIsAnswered) {
  // A21: iPXE probes v2 content with v1 probes; a v2 segment is one block.
  HeldSegments& held = segments();
  held.hold(segment_id(7), 1, 1, seconds(60));
  responder(held);
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(7)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 1U);
  EXPECT_EQ(outcome->offers[0].segments,
            (std::vector<SegmentOffer>{{0, segment_id(7), 1U, true, false, std::nullopt}}));
}

TEST_F(DiscoveryProberTest, UnusableXAddrHostsFallBackToTheSourceAddress) {
  HeldSegments& held = segments();
  held.hold(segment_id(4), 1, 1);
  DiscoveryResponderOptions options = responder_options();
  // A name (not resolved), a wildcard, and a usable address, in that order.
  options.advertise = {"peer.example:8081", "0.0.0.0:8082", "127.0.0.1:8083"};
  responder(held, options);
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(4)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 1U);
  const ip::address source = ip::make_address("127.0.0.1");
  EXPECT_EQ(outcome->offers[0].endpoints,
            (std::vector<ip::tcp::endpoint>{{source, 8081}, {source, 8082}, {source, 8083}}));
}

TEST_F(DiscoveryProberTest, NoPeerHoldsAnything) {
  HeldSegments& held = segments();
  DiscoveryResponder& r = responder(held);
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(9)});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->offers.empty());
  EXPECT_EQ(outcome->summary.offers, 0U);
  const auto c = counters(r);
  EXPECT_EQ(c.not_held, 1U);
  EXPECT_EQ(c.answered, 0U);
}

TEST_F(DiscoveryProberTest, ThreeRespondersShareThePortAndEachAnswers) {
  std::vector<DiscoveryResponder*> responders;
  for (std::uint32_t i = 0; i < 3; ++i) {
    HeldSegments& held = segments();
    held.hold(segment_id(1), 10, i + 1);
    responders.push_back(&responder(held));
  }
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(1)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 3U);
  std::set<std::string> peers;
  std::multiset<std::uint32_t> counts;
  for (const PeerOffer& offer : outcome->offers) {
    peers.insert(offer.endpoint_address);
    ASSERT_EQ(offer.segments.size(), 1U);
    counts.insert(offer.segments[0].block_count.value_or(0));
  }
  std::set<std::string> expected_peers;
  for (DiscoveryResponder* r : responders) {
    expected_peers.insert(host().run([&] { return r->endpoint_address(); }));
    EXPECT_EQ(counters(*r).answered, 1U);
  }
  EXPECT_EQ(peers, expected_peers);
  EXPECT_EQ(counts, (std::multiset<std::uint32_t>{1, 2, 3}));
}

TEST_F(DiscoveryProberTest, OwnProbesAreNotAnsweredByOurResponder) {
  auto own = std::make_shared<DiscoveryOwnProbes>();
  HeldSegments& held = segments();
  held.hold(segment_id(1), 1, 1);
  DiscoveryResponderOptions ro = responder_options();
  ro.own_probes = own;
  DiscoveryResponder& ours = responder(held, ro);
  DiscoveryProberOptions po = prober_options();
  po.own_probes = own;
  DiscoveryProber& p = prober(po);
  // Another daemon on the same host does answer.
  HeldSegments& other_held = segments();
  other_held.hold(segment_id(1), 1, 1);
  DiscoveryResponder& other = responder(other_held);

  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(1)});
  ASSERT_TRUE(outcome.has_value());
  ASSERT_EQ(outcome->offers.size(), 1U);
  EXPECT_EQ(outcome->offers[0].endpoint_address,
            host().run([&] { return other.endpoint_address(); }));
  const auto c = counters(ours);
  EXPECT_GE(c.own, 2U);  // the probe and its repeat
  EXPECT_EQ(c.probes, 0U);
  EXPECT_EQ(c.answered, 0U);
  EXPECT_EQ(held.calls(), 0U);
}

TEST_F(DiscoveryProberTest, SplitProbesMapOffersToTheCallersIndices) {
  // 25 v1 IDs do not fit one probe (A22: ~10 per probe).
  std::vector<crypto::Digest> ids;
  for (std::uint8_t i = 0; i < 25; ++i)
    ids.push_back(segment_id(static_cast<std::uint8_t>(0x80 + i)));
  HeldSegments& held = segments();
  for (const std::size_t i : {0U, 12U, 24U})
    held.hold(ids[i], 8, static_cast<std::uint32_t>(i + 1));
  responder(held);
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v1, ids);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_GE(outcome->summary.probes, 3U);
  std::vector<std::pair<std::size_t, std::uint32_t>> found;
  for (const PeerOffer& offer : outcome->offers) {
    for (const SegmentOffer& s : offer.segments) {
      EXPECT_EQ(s.segment_id, ids.at(s.index));
      found.emplace_back(s.index, s.block_count.value_or(0));
    }
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found,
            (std::vector<std::pair<std::size_t, std::uint32_t>>{{0, 1}, {12, 13}, {24, 25}}));
}

TEST_F(DiscoveryProberTest, CancelledProbeCallsNoHandler) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 1, 1);
  DiscoveryResponder& r = responder(held);
  DiscoveryProber& p = prober();
  bool called = false;
  host().run([&] {
    auto round = p.probe(
        pccrd::Version::v1, {segment_id(1)}, [&](const PeerOffer&) { called = true; },
        [&](ProbeSummary) { called = true; });
    round->cancel();
  });
  // A later round with the same delays ends after the cancelled one would have.
  const auto later = probe_and_wait(host(), p, pccrd::Version::v1, {segment_id(1)});
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->offers.size(), 1U);
  EXPECT_FALSE(host().run([&] { return called; }));
  // The cancelled probe may have gone out and been answered: its match was then ignored.
  EXPECT_GE(counters(r).answered, 1U);
}

TEST_F(DiscoveryProberTest, MatchesNotAnsweringOurProbesAreIgnored) {
  DiscoveryProber& p = prober();
  const auto port = host().run([&] { return p.local_port(false); });
  ASSERT_TRUE(port.has_value());
  HeldSegments& held = segments();
  responder(held);  // holds nothing: the round stays open with no real answer

  auto outcome = std::make_shared<ProbeOutcome>();
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  host().run([&] {
    return p.probe(
        pccrd::Version::v1, {segment_id(1)},
        [outcome](PeerOffer o) { outcome->offers.push_back(std::move(o)); },
        [outcome, done](ProbeSummary s) {
          outcome->summary = s;
          done->set_value();
        });
  });
  // A well-formed match relating to a probe nobody sent, and junk.
  pccrd::ProbeMatch forged;
  forged.message_id = pccrd::new_message_id();
  forged.relates_to = pccrd::new_message_id();
  forged.endpoint_address = pccrd::new_message_id();
  forged.xaddrs = {"127.0.0.1:9999"};
  forged.held = pccrd::ProbeMatchV1{{{segment_id(1), 1}}};
  RawUdp liar(ns(), "127.0.0.1");
  ASSERT_TRUE(liar.send_to(pccrd::encode_probe_match(forged), "127.0.0.1", *port));
  ASSERT_TRUE(liar.send_to("<junk/>", "127.0.0.1", *port));
  ASSERT_EQ(finished.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(outcome->offers.empty());
  const auto c = host().run([&] { return p.counters(); });
  EXPECT_EQ(c.unrelated, 1U);
  EXPECT_EQ(c.malformed, 1U);
  EXPECT_EQ(c.offers, 0U);
}

TEST_F(DiscoveryProberTest, NoSegmentsEndsAtOnceWithoutSending) {
  DiscoveryProber& p = prober();
  const auto outcome = probe_and_wait(host(), p, pccrd::Version::v2, {});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->summary.probes, 0U);
  EXPECT_EQ(host().run([&] { return p.counters().datagrams_sent; }), 0U);
}

}  // namespace
}  // namespace peerdist::net::test
