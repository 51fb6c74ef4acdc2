// PeerPenalties: a peer caught with bad data is set aside for kBadPeerTime, reported once.
#include "peerdist/net/peer_penalties.hpp"

#include <gtest/gtest.h>

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;
using namespace std::chrono_literals;

const ip::tcp::endpoint kPeer(ip::make_address("10.0.0.7"), 80);
const PeerPenalties::Clock::time_point t0{std::chrono::hours(1)};

TEST(PeerPenaltiesTest, BadForTenMinutesReportedOnce) {
  PeerPenalties penalties;
  EXPECT_FALSE(penalties.is_bad(kPeer, t0));
  EXPECT_TRUE(penalties.mark_bad(kPeer, t0));
  EXPECT_FALSE(penalties.mark_bad(kPeer, t0 + 1s));  // already set aside: not new
  EXPECT_TRUE(penalties.is_bad(kPeer, t0 + 5min));
  EXPECT_FALSE(penalties.is_bad(ip::tcp::endpoint(kPeer.address(), 8080), t0));
  EXPECT_EQ(penalties.count(t0 + 5min), 1U);
  // The second mark extended the time.
  EXPECT_TRUE(penalties.is_bad(kPeer, t0 + PeerPenalties::kBadPeerTime));
  EXPECT_FALSE(penalties.is_bad(kPeer, t0 + 1s + PeerPenalties::kBadPeerTime));
  EXPECT_EQ(penalties.count(t0 + 1h), 0U);
  // Caught again after it expired: new again.
  EXPECT_TRUE(penalties.mark_bad(kPeer, t0 + 1h));
}

TEST(PeerPenaltiesTest, IsBounded) {
  PeerPenalties penalties;
  for (std::uint32_t i = 0; i < PeerPenalties::kCapacity + 5; ++i) {
    const ip::tcp::endpoint peer(ip::address_v4(0x0A000000U + i), 80);
    EXPECT_TRUE(penalties.mark_bad(peer, t0 + std::chrono::milliseconds(i)));
  }
  EXPECT_EQ(penalties.count(t0 + 1s), PeerPenalties::kCapacity);
  // The newest is kept.
  const ip::tcp::endpoint newest(ip::address_v4(0x0A000000U + PeerPenalties::kCapacity + 4), 80);
  EXPECT_TRUE(penalties.is_bad(newest, t0 + 1s));
}

}  // namespace
}  // namespace peerdist::net
