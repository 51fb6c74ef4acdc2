// The forgetful message-ID set behind duplicate and own-probe detection.
#include "peerdist/net/discovery_recent_ids.hpp"

#include <gtest/gtest.h>

#include "peerdist/net/discovery_own_probes.hpp"

namespace peerdist::net {
namespace {

using std::chrono::seconds;

TEST(RecentIds, RemembersForItsMemoryThenForgets) {
  RecentIds ids(seconds(5), 100);
  const auto t0 = RecentIds::Clock::now();
  EXPECT_TRUE(ids.insert("a", t0));
  EXPECT_FALSE(ids.insert("a", t0 + seconds(1)));
  EXPECT_TRUE(ids.contains("a", t0 + seconds(4)));
  EXPECT_FALSE(ids.contains("a", t0 + seconds(5)));
  EXPECT_TRUE(ids.insert("a", t0 + seconds(6)));
  EXPECT_EQ(ids.size(), 1U);
}

TEST(RecentIds, CapacityDropsTheOldestFirst) {
  RecentIds ids(seconds(60), 3);
  const auto t0 = RecentIds::Clock::now();
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(ids.insert(id, t0));
  EXPECT_EQ(ids.size(), 3U);
  EXPECT_FALSE(ids.contains("a", t0));
  EXPECT_TRUE(ids.contains("b", t0));
  EXPECT_TRUE(ids.contains("d", t0));
}

TEST(DiscoveryOwnProbes, MessageIdsAndProberPorts) {
  DiscoveryOwnProbes own;
  const auto t0 = RecentIds::Clock::now();
  own.add_message_id("urn:uuid:1", t0);
  EXPECT_TRUE(own.has_message_id("urn:uuid:1", t0 + seconds(1)));
  EXPECT_FALSE(own.has_message_id("urn:uuid:2", t0));
  EXPECT_FALSE(own.has_message_id("urn:uuid:1", t0 + DiscoveryOwnProbes::kMemory));
  EXPECT_FALSE(own.prober_port(false).has_value());
  own.set_prober_ports(40000, 40001);
  EXPECT_EQ(own.prober_port(false), 40000);
  EXPECT_EQ(own.prober_port(true), 40001);
}

}  // namespace
}  // namespace peerdist::net
