// StaticPeers (every configured peer offered for every segment, after find() returns) and
// CombinedFinder (each peer once, done when every finder is).
#include "peerdist/net/peer_static.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "peerdist/net/peer_combined_finder.hpp"

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;

const ip::tcp::endpoint kA(ip::make_address("10.0.0.1"), 80);
const ip::tcp::endpoint kB(ip::make_address("10.0.0.2"), 8080);
const ip::tcp::endpoint kC(ip::make_address("fe80::3"), 80);

struct Found {
  std::vector<PeerCandidate> candidates;
  int done = 0;
};

std::shared_ptr<PeerSearch> find(PeerFinder& finder, Found& found) {
  return finder.find(
      PeerQuery{}, [&found](PeerCandidate c) { found.candidates.push_back(c); },
      [&found] { ++found.done; });
}

TEST(StaticPeersTest, OffersEveryConfiguredPeerOnceThenIsDone) {
  boost::asio::io_context io;
  StaticPeers finder(io.get_executor(), {kA, kB, kA});
  EXPECT_EQ(finder.peers(), (std::vector<ip::tcp::endpoint>{kA, kB}));
  Found found;
  auto search = find(finder, found);
  EXPECT_TRUE(found.candidates.empty());  // never inside find()
  io.run();
  ASSERT_EQ(found.candidates.size(), 2U);
  EXPECT_EQ(found.candidates[0],
            (PeerCandidate{kA, std::nullopt, false, PeerCandidate::Origin::configured}));
  EXPECT_EQ(found.candidates[1].endpoint, kB);
  EXPECT_EQ(found.done, 1);
}

TEST(StaticPeersTest, ACancelledSearchCallsNothing) {
  boost::asio::io_context io;
  StaticPeers finder(io.get_executor(), {kA});
  Found found;
  auto search = find(finder, found);
  search->cancel();
  io.run();
  EXPECT_TRUE(found.candidates.empty());
  EXPECT_EQ(found.done, 0);
}

TEST(StaticPeersTest, NoPeerIsDoneAtOnce) {
  boost::asio::io_context io;
  StaticPeers finder(io.get_executor(), {});
  Found found;
  auto search = find(finder, found);
  io.run();
  EXPECT_TRUE(found.candidates.empty());
  EXPECT_EQ(found.done, 1);
}

TEST(CombinedFinderTest, EachPeerOnceDoneWhenAllAre) {
  boost::asio::io_context io;
  auto first = std::make_shared<StaticPeers>(io.get_executor(), std::vector{kA, kB});
  auto second = std::make_shared<StaticPeers>(io.get_executor(), std::vector{kB, kC});
  CombinedFinder combined({first, nullptr, second});
  Found found;
  auto search = find(combined, found);
  io.run();
  ASSERT_EQ(found.candidates.size(), 3U);
  EXPECT_EQ(found.candidates[0].endpoint, kA);
  EXPECT_EQ(found.candidates[1].endpoint, kB);
  EXPECT_EQ(found.candidates[2].endpoint, kC);
  EXPECT_EQ(found.done, 1);
}

TEST(CombinedFinderTest, CancelReachesEveryFinder) {
  boost::asio::io_context io;
  auto first = std::make_shared<StaticPeers>(io.get_executor(), std::vector{kA});
  auto second = std::make_shared<StaticPeers>(io.get_executor(), std::vector{kB});
  CombinedFinder combined({first, second});
  Found found;
  auto search = find(combined, found);
  search->cancel();
  io.run();
  EXPECT_TRUE(found.candidates.empty());
  EXPECT_EQ(found.done, 0);
}

TEST(CombinedFinderTest, NeedsAFinder) {
  EXPECT_THROW(CombinedFinder({}), std::invalid_argument);
  EXPECT_THROW(CombinedFinder({nullptr}), std::invalid_argument);
}

}  // namespace
}  // namespace peerdist::net
