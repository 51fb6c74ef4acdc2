// The catalog's own thread. SQLite calls block (a commit waits for fsync, synchronous=FULL),
// and the Catalog is one connection to be used from one thread, so every catalog call runs
// here, one job at a time, in the order posted. That order is what the service's consistency
// rests on: a publication's insert, a later unpublish and a later lookup by another connection
// happen in the order the network thread posted them, whatever the threads do meanwhile.
//
// The job also owns the registry of non-persistent publications and the instance (connection)
// that made each, so that an instance's end removes exactly its own publications: a
// publication another instance of the same user unpublished and published again is not
// touched. The registry lives in memory only, because after a restart no instance survives
// and all non-persistent publications are dropped (remove_non_persistent).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>

#include <boost/asio/thread_pool.hpp>

#include "peerdist/service/publication_key.hpp"
#include "peerdist/store/catalog.hpp"

namespace peerdist::service {

// Everything the catalog thread owns; touched only inside jobs.
struct CatalogState {
  explicit CatalogState(store::Catalog c) : catalog(std::move(c)) {}

  store::Catalog catalog;

  // Non-persistent publications by owner instance, and back.
  void own(const PublicationKey& key, std::uint64_t instance);
  void disown(const PublicationKey& key);
  // Removes the instance's publications from the catalog; returns how many it removed, and
  // logs (rather than returns) the failures, since the instance is gone either way.
  std::uint64_t remove_owned_by(std::uint64_t instance);

 private:
  std::map<PublicationKey, std::uint64_t> owner_of_;
  std::map<std::uint64_t, std::set<PublicationKey>> owned_by_;
};

class CatalogExecutor {
 public:
  using Job = std::function<void(CatalogState&)>;

  explicit CatalogExecutor(store::Catalog catalog);
  ~CatalogExecutor();  // join()
  CatalogExecutor(const CatalogExecutor&) = delete;
  CatalogExecutor& operator=(const CatalogExecutor&) = delete;

  // Runs `job` on the catalog thread after every job posted before it. A job that throws is
  // logged; the thread carries on.
  void post(Job job);
  // Waits for the posted jobs to finish and ends the thread; later posts are dropped. The
  // catalog is closed when the executor is destroyed.
  void join();

 private:
  CatalogState state_;
  boost::asio::thread_pool thread_{1};
};

}  // namespace peerdist::service
