#include "peerdist/service/publication_service.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "peerdist/net/no_peers.hpp"
#include "peerdist/util/worker_pool.hpp"

namespace peerdist::service {
namespace {

unsigned feed_threads(const ServiceOptions& options) {
  if (options.feed_threads != 0) return options.feed_threads;
  return std::max(PublicationService::kMinFeedThreads, util::WorkerPool::hardware_threads());
}

}  // namespace

Expected<std::unique_ptr<PublicationService>, std::string> PublicationService::open(
    boost::asio::any_io_executor executor, const std::filesystem::path& catalog_file,
    pccrc::ServerSecret secret, ServiceOptions options, StartupReport* report) {
  store::OpenOptions open_options;
  // The daemon must come up even if its catalog was damaged: publications are re-made by
  // publishing again, while a service that will not start helps nobody. The damaged file is
  // kept beside it for inspection, and the log says so.
  open_options.recover_corrupt = true;
  auto catalog = store::Catalog::open(catalog_file, open_options);
  if (!catalog) return Unexpected(catalog.error().message);
  StartupReport local;
  local.moved_aside = catalog->moved_aside();
  auto removed = catalog->remove_non_persistent();
  if (!removed) return Unexpected(removed.error().message);
  local.removed_non_persistent = *removed;
  auto counts = catalog->counts();
  if (!counts) return Unexpected(counts.error().message);
  local.counts = *counts;

  // The data cache, beside the catalog. Like the catalog, a damaged database is moved aside
  // (cached blocks come again from peers or the origin); a cache that cannot be opened at all
  // leaves the client functions unavailable, not the whole service.
  std::optional<store::DataCache> cache;
  store::DataCacheOptions cache_options;
  cache_options.recover_corrupt = true;
  auto opened = store::DataCache::open(catalog_file.parent_path() / kCacheDirName,
                                       options.cache_limits, cache_options);
  if (opened) {
    local.cache_moved_aside = opened->moved_aside();
    cache.emplace(std::move(*opened));
  } else {
    local.cache_error = opened.error().message;
  }
  if (report != nullptr) *report = local;
  return std::make_unique<PublicationService>(std::move(executor), std::move(*catalog),
                                              std::move(secret), std::move(options),
                                              std::move(cache));
}

PublicationService::PublicationService(boost::asio::any_io_executor executor,
                                       store::Catalog catalog, pccrc::ServerSecret secret,
                                       ServiceOptions options,
                                       std::optional<store::DataCache> cache)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      secret_(std::make_shared<const pccrc::ServerSecret>(std::move(secret))),
      status_(make_status(options_.enabled ? PEERDIST_STATUS_AVAILABLE : PEERDIST_STATUS_DISABLED,
                          options_.versions)),
      parallel_limit_(std::max<std::size_t>(kMinParallelStreams,
                                            util::WorkerPool::hardware_threads())),
      catalog_(std::move(catalog)),
      hash_pool_(feed_threads(options_)) {
  client_.executor = executor_;
  client_.hash_pool = &hash_pool_;
  client_.peers = std::make_shared<net::NoPeers>(executor_);
  if (cache) {
    cache_thread_ = std::make_unique<CacheExecutor>(std::move(*cache));
    client_.cache = std::make_shared<CacheFront>(executor_, *cache_thread_);
  }
}

PublicationService::~PublicationService() { join(); }

std::shared_ptr<Instance> PublicationService::create_instance(
    std::uint32_t uid, std::shared_ptr<const ipc::SharedBuffer> shared,
    Instance::StatusListener listener) {
  const std::uint64_t id = next_instance_id_++;
  auto instance =
      std::make_shared<Instance>(*this, id, uid, std::move(shared), std::move(listener));
  instances_.emplace(id, instance);
  return instance;
}

void PublicationService::set_peer_source(std::shared_ptr<net::PeerSource> peers) {
  client_.peers = std::move(peers);
}

void PublicationService::set_cache_limits(store::CacheLimits limits) {
  if (!cache_thread_) return;
  cache_thread_->post([limits](store::DataCache& cache) {
    cache.set_limits(limits);
    if (auto evicted = cache.evict(); !evicted) {
      spdlog::error("data cache: applying new limits failed: {}", evicted.error().message);
    } else if (*evicted > 0) {
      spdlog::info("data cache: {} segment(s) evicted under the new limits", *evicted);
    }
  });
}

void PublicationService::set_policy(bool enabled, std::vector<pccrc::Version> versions) {
  if (stopping_) return;
  if (!versions.empty()) options_.versions = std::move(versions);
  options_.enabled = enabled;
  broadcast(make_status(enabled ? PEERDIST_STATUS_AVAILABLE : PEERDIST_STATUS_DISABLED,
                        options_.versions));
}

void PublicationService::stop() {
  if (stopping_) return;
  broadcast(make_status(PEERDIST_STATUS_UNAVAILABLE, options_.versions));
  stopping_ = true;
}

void PublicationService::broadcast(const ServiceStatus& next) {
  if (next == status_) return;
  spdlog::info("status {}, content information versions {}..{}", status_name(next.status),
               next.min_ci_version, next.max_ci_version);
  status_ = next;
  std::vector<std::shared_ptr<Instance>> live;
  for (auto& [id, weak] : instances_) {
    if (auto instance = weak.lock()) live.push_back(std::move(instance));
  }
  // Every connection hears of the change before any Result that reflects it (docs/ipc.md,
  // rule 6), so all are told first, then the handles are invalidated and notifications fire.
  for (auto& instance : live) instance->tell_status(next);
  for (auto& instance : live) instance->apply_status(next);
}

void PublicationService::query_counts(
    std::function<void(Expected<store::CatalogCounts, std::string>)> done) {
  catalog_.post([executor = executor_, done = std::move(done)](CatalogState& state) mutable {
    auto counts = state.catalog.counts();
    Expected<store::CatalogCounts, std::string> result =
        counts ? Expected<store::CatalogCounts, std::string>(*counts)
               : Expected<store::CatalogCounts, std::string>(Unexpected(counts.error().message));
    boost::asio::post(executor, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

void PublicationService::join() {
  // Hashing jobs post to the catalog thread, so they finish first.
  hash_pool_.join();
  catalog_.join();
  // Blocks posted for commit are stored before the cache closes, a batch still collecting
  // (CacheFront::kPeerCommitDelay) too.
  if (client_.cache) client_.cache->commit_now();
  if (cache_thread_) cache_thread_->join();
}

}  // namespace peerdist::service
