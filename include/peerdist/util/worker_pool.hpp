// A fixed pool of worker threads for CPU-bound work (hashing, AES, disk I/O), so that such work
// never runs on a network thread. Tasks are run in submission order by whichever worker is free.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace peerdist::util {

class WorkerPool {
 public:
  // threads == 0 means one per hardware thread.
  explicit WorkerPool(unsigned threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task);
  [[nodiscard]] unsigned size() const noexcept { return static_cast<unsigned>(threads_.size()); }

  // The number of hardware threads, at least 1.
  [[nodiscard]] static unsigned hardware_threads() noexcept;

 private:
  void run(const std::stop_token& stop);

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::jthread> threads_;
};

}  // namespace peerdist::util
