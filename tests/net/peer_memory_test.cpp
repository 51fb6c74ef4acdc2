// SegmentPeerMemory: peers remembered for a minute per segment, "nobody" for 15 s, bounded.
#include "peerdist/net/peer_memory.hpp"

#include <gtest/gtest.h>

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;
using Known = SegmentPeerMemory::Known;
using namespace std::chrono_literals;

crypto::Digest id(std::uint8_t fill) {
  const std::vector<std::uint8_t> bytes(32, fill);
  return crypto::Digest(bytes);
}

PeerCandidate peer(std::uint16_t port, std::optional<std::uint32_t> blocks = std::nullopt) {
  return PeerCandidate{ip::tcp::endpoint(ip::make_address("10.0.0.1"), port), blocks, false,
                       PeerCandidate::Origin::discovered};
}

const SegmentPeerMemory::Clock::time_point t0{std::chrono::hours(1)};

TEST(SegmentPeerMemoryTest, PeersAreRememberedForAMinute) {
  SegmentPeerMemory memory;
  EXPECT_EQ(memory.recall(id(1), t0).known, Known::unknown);
  memory.remember(id(1), peer(80), t0);
  memory.remember(id(1), peer(81), t0 + 1s);
  auto recall = memory.recall(id(1), t0 + 30s);
  EXPECT_EQ(recall.known, Known::peers);
  EXPECT_EQ(recall.peers, (std::vector<PeerCandidate>{peer(80), peer(81)}));
  EXPECT_EQ(memory.recall(id(2), t0).known, Known::unknown);
  // A minute after the last offer it is forgotten.
  EXPECT_EQ(memory.recall(id(1), t0 + 1s + SegmentPeerMemory::kPeersMemory - 1ms).known,
            Known::peers);
  EXPECT_EQ(memory.recall(id(1), t0 + 1s + SegmentPeerMemory::kPeersMemory).known, Known::unknown);
}

TEST(SegmentPeerMemoryTest, ARepeatedOfferReplacesTheOldOne) {
  SegmentPeerMemory memory;
  memory.remember(id(1), peer(80, 3), t0);
  memory.remember(id(1), peer(80, 7), t0);
  EXPECT_EQ(memory.recall(id(1), t0).peers, (std::vector<PeerCandidate>{peer(80, 7)}));
}

TEST(SegmentPeerMemoryTest, NobodyIsRememberedFor15Seconds) {
  SegmentPeerMemory memory;
  memory.remember_nobody(id(1), t0);
  EXPECT_EQ(memory.recall(id(1), t0 + 14s).known, Known::nobody);
  EXPECT_EQ(memory.recall(id(1), t0 + SegmentPeerMemory::kNobodyMemory).known, Known::unknown);
  // An offer wins over "nobody"; "nobody" does not erase fresh peers.
  memory.remember(id(1), peer(80), t0 + 1s);
  memory.remember_nobody(id(1), t0 + 2s);
  EXPECT_EQ(memory.recall(id(1), t0 + 2s).known, Known::peers);
  // Expired peers do not survive a new offer.
  memory.remember(id(2), peer(80), t0);
  memory.remember(id(2), peer(81), t0 + 2min);
  EXPECT_EQ(memory.recall(id(2), t0 + 2min).peers, (std::vector<PeerCandidate>{peer(81)}));
  memory.forget(id(2));
  EXPECT_EQ(memory.recall(id(2), t0 + 2min).known, Known::unknown);
}

TEST(SegmentPeerMemoryTest, IsBounded) {
  SegmentPeerMemory memory;
  for (std::size_t i = 0; i < SegmentPeerMemory::kCapacity + 10; ++i) {
    std::vector<std::uint8_t> bytes(32, 0);
    bytes[0] = static_cast<std::uint8_t>(i);
    bytes[1] = static_cast<std::uint8_t>(i >> 8U);
    memory.remember(crypto::Digest(bytes), peer(80),
                    t0 + std::chrono::milliseconds(static_cast<std::int64_t>(i)));
  }
  EXPECT_EQ(memory.size(), SegmentPeerMemory::kCapacity);
  // The entries closest to expiry (the first ones) went.
  std::vector<std::uint8_t> first(32, 0);
  EXPECT_EQ(memory.recall(crypto::Digest(first), t0 + 1s).known, Known::unknown);
}

}  // namespace
}  // namespace peerdist::net
