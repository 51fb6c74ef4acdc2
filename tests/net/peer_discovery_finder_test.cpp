// DiscoveryFinder with a real prober and responders on lo in a namespace of the test's own:
// searches of one turn share one probe round, each offer reaches the searches for its segment,
// what a round found (or did not) is remembered, a search joins a round in progress; and the
// whole path of distributed mode: a segment discovered, then retrieved from the PCCRR server of
// the peer that offered it.
#include "peerdist/net/peer_discovery_finder.hpp"

#include <gtest/gtest.h>

#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/net/peer_fetcher.hpp"

#include "discovery_test_node.hpp"
#include "memory_segment_source.hpp"
#include "pccrr_test_support.hpp"

namespace peerdist::net::test {
namespace {

namespace ip = boost::asio::ip;

// What one search heard, filled on the host's thread.
struct Heard {
  std::vector<PeerCandidate> candidates;
  bool done = false;
};

class DiscoveryFinderTest : public LoopbackDiscoveryTest {
 protected:
  // Starts a search on the host's thread (call inside host_->run).
  static std::shared_ptr<PeerSearch> search(PeerFinder& finder, const crypto::Digest& id,
                                            Heard& heard,
                                            pccrc::Version version = pccrc::Version::v1) {
    return finder.find(
        PeerQuery{id, version}, [&heard](PeerCandidate c) { heard.candidates.push_back(c); },
        [&heard] { heard.done = true; });
  }
  bool all_done(std::initializer_list<const Heard*> heard) {
    return host_->eventually([&] {
      return std::all_of(heard.begin(), heard.end(), [](const Heard* h) { return h->done; });
    });
  }
  static PeerCandidate offered(std::uint32_t blocks) {
    return PeerCandidate{ip::tcp::endpoint(ip::make_address("127.0.0.1"), kPccrrPort), blocks,
                         false, PeerCandidate::Origin::discovered};
  }
};

TEST_F(DiscoveryFinderTest, SearchesOfOneTurnShareOneRound) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 5, 3);
  held.hold(segment_id(2), 4, 4);
  responder(held);
  DiscoveryProber& p = prober();
  auto& finder = host_->make<DiscoveryFinder>(host_->executor(), p);
  Heard one;
  Heard two;
  Heard three;
  std::vector<std::shared_ptr<PeerSearch>> searches;
  host_->run([&] {
    searches.push_back(search(finder, segment_id(1), one));
    searches.push_back(search(finder, segment_id(2), two));
    searches.push_back(search(finder, segment_id(3), three));
  });
  ASSERT_TRUE(all_done({&one, &two, &three}));
  host_->run([&] {
    EXPECT_EQ(one.candidates, std::vector<PeerCandidate>{offered(3)});
    EXPECT_EQ(two.candidates, std::vector<PeerCandidate>{offered(4)});
    EXPECT_TRUE(three.candidates.empty());
    EXPECT_EQ(p.counters().rounds, 1U);
    EXPECT_EQ(p.counters().probes, 1U);  // three IDs fit one probe
    EXPECT_EQ(finder.counters().rounds, 1U);
    EXPECT_EQ(finder.counters().searches, 3U);
  });
}

TEST_F(DiscoveryFinderTest, WhatARoundFoundIsRemembered) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 5, 5);
  responder(held);
  DiscoveryProber& p = prober();
  auto& finder = host_->make<DiscoveryFinder>(host_->executor(), p);
  Heard first;
  Heard missing;
  std::vector<std::shared_ptr<PeerSearch>> searches;
  host_->run([&] {
    searches.push_back(search(finder, segment_id(1), first));
    searches.push_back(search(finder, segment_id(9), missing));
  });
  ASSERT_TRUE(all_done({&first, &missing}));
  // Again: answered from memory, no new round.
  Heard again;
  Heard still_missing;
  host_->run([&] {
    searches.push_back(search(finder, segment_id(1), again));
    searches.push_back(search(finder, segment_id(9), still_missing));
  });
  ASSERT_TRUE(all_done({&again, &still_missing}));
  host_->run([&] {
    EXPECT_EQ(again.candidates, std::vector<PeerCandidate>{offered(5)});
    EXPECT_TRUE(still_missing.candidates.empty());
    EXPECT_EQ(p.counters().rounds, 1U);
    EXPECT_EQ(finder.counters().remembered_peers, 1U);
    EXPECT_EQ(finder.counters().remembered_nobody, 1U);
  });
}

TEST_F(DiscoveryFinderTest, ASearchJoinsARoundInProgress) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 5, 2);
  responder(held);
  DiscoveryProber& p = prober();
  auto& finder = host_->make<DiscoveryFinder>(host_->executor(), p);
  Heard first;
  Heard second;
  std::vector<std::shared_ptr<PeerSearch>> searches;
  host_->run([&] { searches.push_back(search(finder, segment_id(1), first)); });
  ASSERT_TRUE(host_->eventually([&] { return p.counters().rounds == 1; }));
  // A later turn, while the round still collects matches (for kWait after its last send).
  host_->run([&] { searches.push_back(search(finder, segment_id(1), second)); });
  ASSERT_TRUE(all_done({&first, &second}));
  host_->run([&] {
    EXPECT_EQ(first.candidates, std::vector<PeerCandidate>{offered(2)});
    EXPECT_EQ(second.candidates, std::vector<PeerCandidate>{offered(2)});
    EXPECT_EQ(p.counters().rounds, 1U);
    EXPECT_EQ(finder.counters().joined, 1U);
  });
}

TEST_F(DiscoveryFinderTest, ACancelledSearchHearsNothing) {
  HeldSegments& held = segments();
  held.hold(segment_id(1), 5, 5);
  responder(held);
  DiscoveryProber& p = prober();
  auto& finder = host_->make<DiscoveryFinder>(host_->executor(), p);
  Heard cancelled;
  Heard other;
  std::vector<std::shared_ptr<PeerSearch>> searches;
  host_->run([&] {
    searches.push_back(search(finder, segment_id(1), cancelled));
    searches.push_back(search(finder, segment_id(1), other));
    searches.front()->cancel();
  });
  ASSERT_TRUE(all_done({&other}));
  host_->run([&] {
    EXPECT_EQ(other.candidates.size(), 1U);
    EXPECT_TRUE(cancelled.candidates.empty());
    EXPECT_FALSE(cancelled.done);
  });
}

TEST_F(DiscoveryFinderTest, AStoppedFinderEndsSearchesWithNobody) {
  DiscoveryProber& p = prober();
  auto& finder = host_->make<DiscoveryFinder>(host_->executor(), p);
  Heard heard;
  std::shared_ptr<PeerSearch> s;
  host_->run([&] {
    finder.stop();
    s = search(finder, segment_id(1), heard);
  });
  ASSERT_TRUE(all_done({&heard}));
  EXPECT_EQ(host_->run([&] { return p.counters().rounds; }), 0U);
}

// Distributed mode end to end on lo: the responder offers what its PCCRR server serves.
TEST_F(DiscoveryFinderTest, ADiscoveredPeerServesTheBlocks) {
  constexpr std::size_t kLength = 6 * 65536 + 777;
  const TestContent content = make_content(kLength, pccrc::HashScheme{}, 3);
  const pccrc::SegmentDescriptor& segment = content.segments.at(0);
  auto& source = host_->make<MemorySegmentSource>(host_->executor());
  source.add_segment_bytes(segment, content.segment_bytes(0));

  PccrrServerOptions server_options;
  server_options.endpoints = {ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0)};
  auto& server = host_->make<PccrrServer>(host_->executor(), source, server_options);
  const auto listening = host_->run([&] { return server.listen(); });
  ASSERT_TRUE(listening.has_value()) << listening.error();
  DiscoveryResponderOptions options = responder_options();
  options.pccrr_port = host_->run([&] { return server.local_endpoints().at(0).port(); });
  auto& r = host_->make<DiscoveryResponder>(host_->executor(), source, options);
  ASSERT_TRUE(host_->run([&] { return r.start().has_value(); }));
  DiscoveryProber& p = prober();

  struct Outcome {
    std::map<std::uint32_t, Bytes> blocks;
    std::optional<FetchOutcome> outcome;
  };
  Outcome out;
  std::shared_ptr<PeerFetcher> fetcher;
  std::shared_ptr<Fetch> fetch;
  host_->run([&] {
    auto finder = std::make_shared<DiscoveryFinder>(host_->executor(), p);
    auto client = std::make_shared<PccrrClient>(host_->executor());
    fetcher = std::make_shared<PeerFetcher>(host_->executor(), client, finder);
    std::vector<pccrc::BlockIndex> blocks;
    for (std::uint32_t i = 0; i < segment.block_count(); ++i) blocks.emplace_back(i);
    fetch = fetcher->fetch(
        FetchRequest{segment, blocks, std::chrono::steady_clock::now() + kDeadline},
        [&out](pccrc::VerifiedBlock b) {
          out.blocks[b.index().value()] = Bytes(b.bytes().begin(), b.bytes().end());
        },
        [&out](FetchOutcome o) { out.outcome = o; });
  });
  ASSERT_TRUE(host_->eventually([&] { return out.outcome.has_value(); }));
  host_->run([&] {
    EXPECT_EQ(*out.outcome, FetchOutcome::complete);
    ASSERT_EQ(out.blocks.size(), segment.block_count());
    for (std::uint32_t i = 0; i < segment.block_count(); ++i) {
      EXPECT_EQ(out.blocks.at(i), content.block(0, pccrc::BlockIndex{i})) << i;
    }
    EXPECT_EQ(fetcher->counters().candidates, 1U);
    EXPECT_EQ(r.counters().answered, 1U);
    fetcher->stop();
    fetcher.reset();
    fetch.reset();
  });
}

}  // namespace
}  // namespace peerdist::net::test
