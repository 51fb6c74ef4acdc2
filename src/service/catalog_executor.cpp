#include "peerdist/service/catalog_executor.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace peerdist::service {

void CatalogState::own(const PublicationKey& key, std::uint64_t instance) {
  disown(key);
  owner_of_[key] = instance;
  owned_by_[instance].insert(key);
}

void CatalogState::disown(const PublicationKey& key) {
  auto it = owner_of_.find(key);
  if (it == owner_of_.end()) return;
  auto owned = owned_by_.find(it->second);
  if (owned != owned_by_.end()) {
    owned->second.erase(key);
    if (owned->second.empty()) owned_by_.erase(owned);
  }
  owner_of_.erase(it);
}

std::uint64_t CatalogState::remove_owned_by(std::uint64_t instance) {
  auto owned = owned_by_.find(instance);
  if (owned == owned_by_.end()) return 0;
  const std::set<PublicationKey> keys = std::move(owned->second);
  owned_by_.erase(owned);
  std::uint64_t removed = 0;
  for (const PublicationKey& key : keys) {
    owner_of_.erase(key);
    auto result = catalog.remove_publication(key.uid, key.content_id);
    if (!result) {
      spdlog::error("instance {}: could not remove a publication of uid {}: {}", instance, key.uid,
                    result.error().message);
    } else if (*result) {
      ++removed;
    }
  }
  return removed;
}

CatalogExecutor::CatalogExecutor(store::Catalog catalog) : state_(std::move(catalog)) {}

CatalogExecutor::~CatalogExecutor() { join(); }

void CatalogExecutor::post(Job job) {
  boost::asio::post(thread_, [this, job = std::move(job)] {
    try {
      job(state_);
    } catch (const std::exception& e) {
      spdlog::error("catalog job failed: {}", e.what());
    }
  });
}

void CatalogExecutor::join() { thread_.join(); }

}  // namespace peerdist::service
