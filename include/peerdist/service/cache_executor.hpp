// The data cache's own thread. DataCache is one SQLite connection to be used from one thread,
// and its calls block: put_blocks() waits for fdatasync and a commit, reads touch the disk. So
// every cache call runs here, one job at a time, in the order posted, and never stalls the
// network thread. The order matters: a FlushContent posted after a commit removes what that
// commit stored, and a read posted after it finds it.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

class CacheExecutor {
 public:
  using Job = std::function<void(store::DataCache&)>;

  explicit CacheExecutor(store::DataCache cache);
  ~CacheExecutor();  // join()
  CacheExecutor(const CacheExecutor&) = delete;
  CacheExecutor& operator=(const CacheExecutor&) = delete;

  // Runs `job` on the cache thread after every job posted before it. A job that throws is
  // logged; the thread carries on.
  void post(Job job);
  // Waits for the posted jobs to finish and ends the thread; later posts are dropped. The
  // cache is closed when the executor is destroyed.
  void join();

 private:
  store::DataCache cache_;
  boost::asio::thread_pool thread_{1};
};

}  // namespace peerdist::service
