#include "peerdist/service/cache_executor.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace peerdist::service {

CacheExecutor::CacheExecutor(store::DataCache cache, std::chrono::milliseconds checkpoint_interval)
    : cache_(std::move(cache)), checkpoint_interval_(checkpoint_interval) {
  const store::DataCacheOpenReport& report = cache_.open_report();
  if (report.dropped_segments > 0) {
    spdlog::warn(
        "data cache: the system went down without a clean shutdown; {} block(s) ({} bytes) of "
        "{} segment(s) stored after the last checkpoint were dropped (they may not have reached "
        "the disk)",
        report.dropped_blocks, report.dropped_bytes, report.dropped_segments);
  }
  boost::asio::post(thread_, [this] { schedule_checkpoint(); });
}

CacheExecutor::~CacheExecutor() {
  join();
}

void CacheExecutor::post(Job job) {
  boost::asio::post(thread_, [this, job = std::move(job)] {
    try {
      job(cache_);
    } catch (const std::exception& e) {
      spdlog::error("data cache job failed: {}", e.what());
    }
  });
}

void CacheExecutor::schedule_checkpoint() {
  if (stopping_) return;
  checkpoint_timer_.expires_after(checkpoint_interval_);
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (auto synced = cache_.checkpoint(); !synced) {
      spdlog::error("data cache: checkpoint failed: {}", synced.error().message);
    }
    schedule_checkpoint();
  });
}

void CacheExecutor::join() {
  // After the jobs posted so far: the pending wait would otherwise keep the thread alive.
  boost::asio::post(thread_, [this] {
    stopping_ = true;
    checkpoint_timer_.cancel();
  });
  thread_.join();
}

}  // namespace peerdist::service
