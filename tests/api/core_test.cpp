// The library's internal building blocks: the ring's slot allocator, the ring and its leases,
// the request table.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "core/policy.hpp"
#include "core/request_table.hpp"
#include "core/ring.hpp"
#include "core/slot_allocator.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::api {
namespace {

using namespace std::chrono_literals;

TEST(SlotAllocator, AllocatesContiguousRunsAndReusesFreedSlots) {
  SlotAllocator slots(8);
  EXPECT_EQ(slots.allocate(3), 0U);
  EXPECT_EQ(slots.allocate(3), 3U);
  EXPECT_EQ(slots.free_slots(), 2U);
  EXPECT_FALSE(slots.allocate(3));  // two left, and a run may not wrap
  EXPECT_EQ(slots.allocate(2), 6U);
  EXPECT_FALSE(slots.allocate(1));
  slots.release(3, 3);  // freed out of order
  EXPECT_EQ(slots.allocate(1), 3U);
  EXPECT_EQ(slots.allocate(2), 4U);
  EXPECT_FALSE(slots.allocate(0));
  EXPECT_FALSE(slots.allocate(9));
}

TEST(SlotAllocator, NextFitWalksRoundTheRing) {
  SlotAllocator slots(4);
  std::vector<std::size_t> order;
  for (int i = 0; i < 8; ++i) {
    const auto slot = slots.allocate(1);
    ASSERT_TRUE(slot);
    order.push_back(*slot);
    slots.release(*slot, 1);
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 0, 1, 2, 3}));
}

TEST(Ring, LeasesAreSlotAlignedAndFoundByAddress) {
  auto ring = Ring::create(std::size_t{4} * 4096, 4096);
  ASSERT_TRUE(ring);
  auto a = (*ring)->try_acquire(100);
  auto b = (*ring)->try_acquire(5000);  // two slots
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->offset(), 0U);
  EXPECT_EQ(a->data().size(), 100U);
  EXPECT_EQ(b->offset(), 4096U);
  EXPECT_EQ(b->data().size(), 5000U);
  EXPECT_EQ((*ring)->offset_of(b->data().data() + 10, 20), 4106U);
  EXPECT_EQ((*ring)->offset_of(a->data().data(), std::size_t{4} * 4096), 0U);
  EXPECT_FALSE((*ring)->offset_of(a->data().data(), std::size_t{4} * 4096 + 1));
  const std::vector<std::uint8_t> outside(16);
  EXPECT_FALSE((*ring)->offset_of(outside.data(), outside.size()));
  EXPECT_EQ((*ring)->free_bytes(), 4096U);
  b->reset();
  EXPECT_EQ((*ring)->free_bytes(), 3U * 4096);
}

TEST(Ring, AcquireWaitsForAReleaseOrGivesUp) {
  auto made = Ring::create(std::size_t{2} * 4096, 4096);
  ASSERT_TRUE(made);
  const auto ring = *made;
  auto held = ring->try_acquire(std::size_t{2} * 4096);
  ASSERT_TRUE(held);
  auto waiter = std::async(std::launch::async, [&] { return ring->acquire(4096, {}); });
  EXPECT_EQ(waiter.wait_for(50ms), std::future_status::timeout);
  held->reset();
  ASSERT_EQ(waiter.wait_for(10s), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got);

  // give_up is asked again on wake_all.
  auto rest = ring->try_acquire(4096);
  ASSERT_TRUE(rest);
  std::atomic<bool> stop{false};
  auto stopped = std::async(std::launch::async,
                            [&] { return ring->acquire(4096, [&] { return stop.load(); }); });
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
  stop = true;
  ring->wake_all();
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(stopped.get());

  // close fails every waiter.
  auto closed = std::async(std::launch::async, [&] { return ring->acquire(4096, {}); });
  EXPECT_EQ(closed.wait_for(50ms), std::future_status::timeout);
  ring->close();
  ASSERT_EQ(closed.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(closed.get());
}

TEST(Ring, LeaseKeepsTheMappingAlive) {
  auto made = Ring::create(4096, 4096);
  ASSERT_TRUE(made);
  auto lease = (*made)->try_acquire(10);
  ASSERT_TRUE(lease);
  made = Unexpected(std::error_code());  // the ring's last owner but the lease
  lease->data()[9] = 42;                 // still mapped
  EXPECT_EQ(lease->data()[9], 42);
}

TEST(Ring, PolicyFitsTheProtocol) {
  EXPECT_EQ(policy::kRingSize % policy::kRingSlotSize, 0U);
  EXPECT_LE(policy::kRingSize, ipc::kMaxSharedBufferSize);
  EXPECT_LE(policy::kMaxSharedPiece, ipc::kMaxInlineData);
  EXPECT_GE(policy::kRingSize / policy::kMaxLeaseSize, 4U);  // room to pipeline
}

class Recorder final : public ResultHandler {
 public:
  void on_result(ipc::Result&& result) noexcept override { results.push_back(result.status); }
  void on_connection_lost() noexcept override { ++lost; }
  std::vector<std::uint32_t> results;
  int lost = 0;
};

TEST(RequestTable, IdsAreUniqueAndTakenOnce) {
  RequestTable table;
  std::set<std::uint64_t> ids;
  auto handler = std::make_shared<Recorder>();
  for (int i = 0; i < 100; ++i) {
    const auto id = table.add(handler);
    ASSERT_TRUE(id);
    EXPECT_NE(*id, 0U);
    EXPECT_TRUE(ids.insert(*id).second);
  }
  EXPECT_EQ(table.size(), 100U);
  EXPECT_EQ(table.take(*ids.begin()), handler);
  EXPECT_EQ(table.take(*ids.begin()), nullptr);  // a second Result for it: unknown
  EXPECT_EQ(table.take(0), nullptr);
  EXPECT_EQ(table.size(), 99U);
}

TEST(RequestTable, CloseHandsBackEverythingInOrderAndRefusesMore) {
  RequestTable table;
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  ASSERT_TRUE(table.add(first));
  ASSERT_TRUE(table.add(second));
  const auto pending = table.close();
  ASSERT_EQ(pending.size(), 2U);
  EXPECT_EQ(pending[0], first);
  EXPECT_EQ(pending[1], second);
  EXPECT_FALSE(table.add(first));
  EXPECT_EQ(table.size(), 0U);
}

TEST(SyncCall, WakesWithTheResultOrTheLoss) {
  auto call = std::make_shared<SyncCall>();
  auto waiter = std::async(std::launch::async, [&] { return call->wait(); });
  EXPECT_EQ(waiter.wait_for(20ms), std::future_status::timeout);
  ipc::Result result;
  result.status = 87;
  call->on_result(std::move(result));
  ASSERT_EQ(waiter.wait_for(10s), std::future_status::ready);
  const auto got = waiter.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 87U);

  auto lost = std::make_shared<SyncCall>();
  lost->on_connection_lost();
  EXPECT_FALSE(lost->wait());
}

}  // namespace
}  // namespace peerdist::api

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
