// The data cache's own thread. DataCache is one SQLite connection to be used from one thread,
// and its calls block: put_blocks() waits for fdatasync and a commit, reads touch the disk. So
// every cache call runs here, one job at a time, in the order posted, and never stalls the
// network thread. The order matters: a FlushContent posted after a commit removes what that
// commit stored, and a read posted after it finds it.
//
// Every kCheckpointInterval the thread also runs DataCache::checkpoint() between jobs, which
// makes the blocks stored since the last one durable (store::SyncPolicy::checkpoint); the
// cache's destructor checkpoints once more at shutdown.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>

#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

class CacheExecutor {
 public:
  using Job = std::function<void(store::DataCache&)>;

  // What an OS crash or power cut may lose of the cache: the blocks of segments stored since
  // the last checkpoint (a process crash loses nothing). 30 s is also the kernel's default
  // dirty_expire_centisecs, so most of the bytes are on disk already when the checkpoint's
  // fdatasyncs ask, and the checkpoint mostly waits for the disk's cache flush.
  static constexpr std::chrono::seconds kCheckpointInterval{30};

  explicit CacheExecutor(store::DataCache cache,
                         std::chrono::milliseconds checkpoint_interval = kCheckpointInterval);
  ~CacheExecutor();  // join()
  CacheExecutor(const CacheExecutor&) = delete;
  CacheExecutor& operator=(const CacheExecutor&) = delete;

  // Runs `job` on the cache thread after every job posted before it. A job that throws is
  // logged; the thread carries on.
  void post(Job job);
  // Waits for the posted jobs to finish and ends the thread (and the periodic checkpoints);
  // later posts are dropped. The cache is closed, with a last checkpoint, when the executor is
  // destroyed.
  void join();

 private:
  void schedule_checkpoint();  // on the cache thread

  store::DataCache cache_;
  std::chrono::milliseconds checkpoint_interval_;
  boost::asio::thread_pool thread_{1};
  boost::asio::steady_timer checkpoint_timer_{thread_};  // used on the cache thread only
  bool stopping_ = false;                                // likewise
};

}  // namespace peerdist::service
