// The service core of peerdistd, without sockets: the service status and policy, the catalog
// of publications (on its own thread), the hashing workers, and the API instances (one per
// connection) through which every request arrives. The network layer (session.hpp) turns
// frames into calls on an Instance and Replies into Result frames; tests call it directly.
//
// Threads:
// * the executor given at construction (the network thread): the status, the instances, the
//   reservations; every public call is made there, and every reply is delivered there;
// * the hashing pool: content-information builders (fed in order per stream), finishing them,
//   and parsing/slicing/encoding CIs for readers;
// * the catalog thread (CatalogExecutor): every SQLite call, in the order posted.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "peerdist/pccrc/keys.hpp"
#include "peerdist/service/cache_executor.hpp"
#include "peerdist/service/catalog_executor.hpp"
#include "peerdist/service/client_context.hpp"
#include "peerdist/service/instance.hpp"
#include "peerdist/service/reservations.hpp"
#include "peerdist/service/service_status.hpp"
#include "peerdist/store/catalog.hpp"
#include "peerdist/store/data_cache.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// Every content-information version there is, ascending.
inline constexpr std::array<pccrc::Version, 2> kAllVersions{pccrc::Version::v1,
                                                           pccrc::Version::v2};

struct ServiceOptions {
  bool enabled = true;
  // From an array rather than an initializer list, which GCC 12 at -O3 wrongly calls
  // uninitialized when the struct is built in another translation unit.
  std::vector<pccrc::Version> versions{kAllVersions.begin(), kAllVersions.end()};
  std::uint32_t max_handles_per_connection = 1024;
  // Hashing threads of each content-information builder (pccrc::BuildOptions::threads; 0 = one
  // per hardware thread). A stream producing V1 and V2 has two builders.
  unsigned builder_threads = 0;
  // Threads that feed the builders, each serving one stream at a time (0 = the default below).
  unsigned feed_threads = 0;
  // The data cache of the client side (<state>/cache/), its limits ([cache]).
  store::CacheLimits cache_limits;
};

struct StartupReport {
  std::uint64_t removed_non_persistent = 0;  // left by a crash: their instances are gone
  store::CatalogCounts counts;
  std::optional<std::filesystem::path> moved_aside;  // a corrupt catalog, moved away
  std::optional<std::filesystem::path> cache_moved_aside;  // a corrupt data cache, moved away
  // Why the data cache could not be opened (the client functions then answer
  // PEERDIST_ERROR_SERVICE_UNAVAILABLE; publishing works on).
  std::optional<std::string> cache_error;
};

class PublicationService {
 public:
  // Streams fed at the same time: a feeding thread mostly waits for its builders' hashing
  // workers, so a few more than the cores keep them all busy without a thread per stream.
  static constexpr unsigned kMinFeedThreads = 4;
  // Streams whose builders get hashing threads of their own (ServiceOptions::builder_threads);
  // the others hash on their feeding thread. One stream can use every core, and a program
  // with a thousand streams open does not get a thousand thread pools: the limit is one per
  // hardware thread, and at least this.
  static constexpr std::size_t kMinParallelStreams = 2;
  // The catalog file under the state directory.
  static constexpr const char* kCatalogFileName = "catalog.sqlite";
  // The data cache's directory under the state directory (beside the catalog).
  static constexpr const char* kCacheDirName = "cache";

  // Opens (or creates) the catalog, moving a corrupt one aside, and drops the non-persistent
  // publications a crash left behind, and opens the data cache beside it (a cache that cannot
  // be opened is logged and left out: publishing does not need it); blocking, so call it
  // before serving.
  [[nodiscard]] static Expected<std::unique_ptr<PublicationService>, std::string> open(
      boost::asio::any_io_executor executor, const std::filesystem::path& catalog_file,
      pccrc::ServerSecret secret, ServiceOptions options, StartupReport* report = nullptr);

  PublicationService(boost::asio::any_io_executor executor, store::Catalog catalog,
                     pccrc::ServerSecret secret, ServiceOptions options,
                     std::optional<store::DataCache> cache = std::nullopt);
  ~PublicationService();  // join()
  PublicationService(const PublicationService&) = delete;
  PublicationService& operator=(const PublicationService&) = delete;

  // A new API instance for a client with this uid. `shared` is its shared buffer, if any.
  [[nodiscard]] std::shared_ptr<Instance> create_instance(
      std::uint32_t uid, std::shared_ptr<const ipc::SharedBuffer> shared,
      Instance::StatusListener listener);

  [[nodiscard]] const ServiceStatus& status() const noexcept { return status_; }
  [[nodiscard]] const std::vector<pccrc::Version>& versions() const noexcept {
    return options_.versions;
  }
  [[nodiscard]] std::size_t instance_count() const noexcept { return instances_.size(); }
  // Streams holding parallel builders now (for tests).
  [[nodiscard]] std::size_t parallel_streams() const noexcept { return parallel_streams_; }

  // The configuration changed (SIGHUP): enabled = false is PEERDIST_STATUS_DISABLED. A change
  // of status or versions is told to every instance; DISABLED invalidates their handles.
  void set_policy(bool enabled, std::vector<pccrc::Version> versions);
  // The daemon is stopping: status UNAVAILABLE, told to every instance and invalidating its
  // handles; later requests for new handles get PEERDIST_ERROR_SERVICE_UNAVAILABLE.
  void stop();

  // The client side: the data cache's front (null without a cache), the peers, the counters.
  [[nodiscard]] ClientContext& client() noexcept { return client_; }
  [[nodiscard]] const ClientCounters& client_counters() const noexcept { return client_.counters; }
  // Where missing blocks are fetched from from now on (NoPeers until this is called).
  void set_peer_source(std::shared_ptr<net::PeerSource> peers);
  // New cache limits (SIGHUP), applied at once (evicting what is now past them).
  void set_cache_limits(store::CacheLimits limits);

  // The catalog's counts, answered on the executor.
  void query_counts(std::function<void(Expected<store::CatalogCounts, std::string>)> done);

  // Waits for the hashing and catalog threads to finish what they were given. Call it after
  // the executor has stopped running (results posted to it are dropped).
  void join();

 private:
  friend class Instance;

  void forget(std::uint64_t instance_id) { instances_.erase(instance_id); }
  void broadcast(const ServiceStatus& next);

  boost::asio::any_io_executor executor_;
  ServiceOptions options_;
  std::shared_ptr<const pccrc::ServerSecret> secret_;
  ServiceStatus status_;
  bool stopping_ = false;
  Reservations reservations_;
  std::uint64_t next_instance_id_ = 1;
  std::map<std::uint64_t, std::weak_ptr<Instance>> instances_;
  std::size_t parallel_streams_ = 0;
  std::size_t parallel_limit_;
  // The catalog thread outlives the hashing pool, whose jobs post to it (join() order).
  CatalogExecutor catalog_;
  boost::asio::thread_pool hash_pool_;
  // The cache thread; the client context's CacheFront refers to it, so it is declared first
  // and destroyed last.
  std::unique_ptr<CacheExecutor> cache_thread_;
  ClientContext client_;
};

}  // namespace peerdist::service
