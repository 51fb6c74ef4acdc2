// The content information an origin serves, computed once per file version and kept in SQLite
// (spec digest §6): keyed by the file's identity (device, inode, size, mtime), or for the
// reverse proxy by the upstream resource (URL, ETag, Last-Modified, length), and by the server
// secret (by its SHA-256, the "key id") and the CI version. Reused across requests and
// restarts; a file that changed has another identity and is hashed again; a file that changed
// while it was hashed is not stored (its identity is checked again afterwards), so a CI is
// never served for bytes other than those it describes.
//
// Upstream resources are hashed by the proxy while it relays their bodies (store()); a new
// version of a URL replaces the row of the old one, as a new version of a file does.
//
// Hashing runs on one background worker (the builder itself uses `threads` cores), in request
// order; a request for a version already queued or in progress adds nothing.
//
// Threads: every member function may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "peerdist/net/pccrtp_files.hpp"
#include "peerdist/net/pccrtp_upstream.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::net {

struct PccrtpHashCacheOptions {
  std::filesystem::path database;  // created if missing, with its directory
  pccrc::ServerSecret secret{std::vector<std::uint8_t>{}};
  unsigned threads = 0;  // hashing threads of the builder, 0 = one per core
};

struct PccrtpHashCacheCounters {
  std::uint64_t hits = 0;       // find() answered from the database
  std::uint64_t misses = 0;     // find() found nothing for that identity
  std::uint64_t computed = 0;   // CIs hashed and stored
  std::uint64_t discarded = 0;  // hashed, but the file changed meanwhile (or could not be read)
  std::uint64_t stored = 0;     // CIs of upstream resources stored (built by the proxy)
};

class PccrtpHashCache {
 public:
  // Opens (creates) the database and drops the rows of any other server secret: they can never
  // be served again (spec digest §6: a new secret changes every Kp and HoHoDk).
  [[nodiscard]] static Expected<std::unique_ptr<PccrtpHashCache>, std::string> open(
      PccrtpHashCacheOptions options);
  // Stops the worker: the file being hashed is abandoned, queued ones dropped.
  ~PccrtpHashCache();
  PccrtpHashCache(const PccrtpHashCache&) = delete;
  PccrtpHashCache& operator=(const PccrtpHashCache&) = delete;
  PccrtpHashCache(PccrtpHashCache&&) = delete;  // the worker thread holds `this`
  PccrtpHashCache& operator=(PccrtpHashCache&&) = delete;

  // The encoded CI of exactly this file version, if stored.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> find(const FileIdentity& identity,
                                                              pccrc::Version version);
  // Hashes `fd` (of `identity`) on the caller's thread and stores the result; nullopt when the
  // file changed or could not be read. For files small enough to hash while the client waits.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> compute(int fd,
                                                                 const FileIdentity& identity,
                                                                 pccrc::Version version);
  // Queues `fd` (duplicated) for the worker, unless that version is already queued or hashing.
  void schedule(int fd, const FileIdentity& identity, pccrc::Version version);
  // The encoded CI of exactly this upstream version, if stored.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> find(const UpstreamIdentity& identity,
                                                              pccrc::Version version);
  // Whether some version of this URL has a CI stored: then the proxy asks the upstream with a
  // HEAD first, hoping for the same validators, instead of a GET whose body it would drop.
  [[nodiscard]] bool knows(const std::string& url, pccrc::Version version);
  // A builder with the server secret, for the proxy to hash a body while it relays it.
  [[nodiscard]] std::unique_ptr<pccrc::ContentInformationBuilder> builder(
      pccrc::Version version) const;
  // Stores the encoded CI the proxy built from the whole body of `identity`.
  void store(const UpstreamIdentity& identity, pccrc::Version version,
             const std::vector<std::uint8_t>& ci);
  // Whether this version is queued or being hashed.
  [[nodiscard]] bool pending(const FileIdentity& identity, pccrc::Version version) const;
  // Waits until the worker has nothing queued nor in progress (tests, benchmarks).
  void wait_idle();

  [[nodiscard]] PccrtpHashCacheCounters counters() const;
  // SHA-256 of the secret: the key id column, and what `peerdist serve` logs.
  [[nodiscard]] const std::vector<std::uint8_t>& key_id() const noexcept { return key_id_; }

 private:
  struct Database;
  using Key = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::int64_t, int>;
  struct Job {
    int fd = -1;  // owned
    FileIdentity identity;
    pccrc::Version version = pccrc::Version::v1;
  };

  PccrtpHashCache(PccrtpHashCacheOptions options, std::unique_ptr<Database> db);
  void run_worker();
  std::optional<std::vector<std::uint8_t>> hash(int fd, const FileIdentity& identity,
                                                pccrc::Version version);
  void store_locked(const FileIdentity& identity, pccrc::Version version,
                    const std::vector<std::uint8_t>& ci);
  // The database side, with mutex_ held: a row is (resource, key id, CI version) -> (version
  // tag, CI); a lookup must match the tag too.
  std::optional<std::vector<std::uint8_t>> find_row(const std::string& resource,
                                                    const std::string& tag, pccrc::Version version);
  void store_row(const std::string& resource, const std::string& tag, pccrc::Version version,
                 const std::vector<std::uint8_t>& ci);
  static Key key_of(const FileIdentity& identity, pccrc::Version version);

  PccrtpHashCacheOptions options_;
  std::vector<std::uint8_t> key_id_;
  mutable std::mutex mutex_;  // guards everything below, and the database
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::unique_ptr<Database> db_;
  std::deque<Job> queue_;
  std::set<Key> pending_;
  bool busy_ = false;
  bool stopping_ = false;
  PccrtpHashCacheCounters counters_;
  std::thread worker_;
};

}  // namespace peerdist::net
