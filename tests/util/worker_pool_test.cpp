#include "peerdist/util/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>

namespace peerdist::util {
namespace {

TEST(WorkerPool, RunsEveryTaskOnItsThreads) {
  constexpr int kTasks = 1000;
  std::atomic<int> done{0};
  std::latch all(kTasks);
  {
    WorkerPool pool(3);
    EXPECT_EQ(pool.size(), 3U);
    for (int i = 0; i < kTasks; ++i) {
      pool.submit([&] {
        done.fetch_add(1);
        all.count_down();
      });
    }
    all.wait();
  }
  EXPECT_EQ(done.load(), kTasks);
}

TEST(WorkerPool, DestructionDrainsQueuedTasks) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(1);
    for (int i = 0; i < 100; ++i) pool.submit([&] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace peerdist::util
