#include "peerdist/service/cache_executor.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace peerdist::service {

CacheExecutor::CacheExecutor(store::DataCache cache) : cache_(std::move(cache)) {}

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

void CacheExecutor::join() {
  thread_.join();
}

}  // namespace peerdist::service
