#include "peerdist/net/pccrtp_hash_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <span>
#include <system_error>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"

#include "sqlite.hpp"

namespace peerdist::net {

namespace sqlite = store::sqlite;

namespace {

// One row per resource, secret and CI version: a file is "file <device> <inode>" (its version
// tag "<size> <mtime_ns>"), an upstream resource "url <url>" (its tag "<length>\n<ETag>\n
// <Last-Modified>"). A newer version of the same resource replaces the older row, so the table
// grows with the number of files and URLs, not of their versions. A lookup matches the tag.
//
// The cache is disposable (everything in it can be hashed again): a database of another schema
// version (user_version) has its table dropped and recreated rather than migrated.
constexpr int kSchemaVersion = 2;
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS content_information ("
    " resource BLOB NOT NULL, key_id BLOB NOT NULL, ci_version INTEGER NOT NULL,"
    " version_tag BLOB NOT NULL, ci BLOB NOT NULL,"
    " PRIMARY KEY (resource, key_id, ci_version)) WITHOUT ROWID;";
constexpr const char* kRecreate =
    "BEGIN IMMEDIATE; DROP TABLE IF EXISTS content_information; "
    "CREATE TABLE content_information ("
    " resource BLOB NOT NULL, key_id BLOB NOT NULL, ci_version INTEGER NOT NULL,"
    " version_tag BLOB NOT NULL, ci BLOB NOT NULL,"
    " PRIMARY KEY (resource, key_id, ci_version)) WITHOUT ROWID; "
    "PRAGMA user_version=2; COMMIT;";
// WAL: readers (requests) do not wait for the worker's write. synchronous=NORMAL: a row lost
// in a power cut is only hashed again. The busy timeout lets two servers share a state dir;
// it comes first, because switching to WAL waits for a server that is closing the database
// (its last checkpoint) and failed with "database is locked" on a quick restart.
constexpr const char* kPragmas =
    "PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

// pread()s of this size feed the builder (its prepare() span is at most this large anyway).
constexpr std::size_t kMaxReadBytes = std::size_t{1} << 20U;

std::span<const std::uint8_t> bytes_of(const std::string& text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string file_resource(const FileIdentity& identity) {
  return "file " + std::to_string(identity.device) + " " + std::to_string(identity.inode);
}

std::string file_tag(const FileIdentity& identity) {
  return std::to_string(identity.size) + " " + std::to_string(identity.mtime_ns);
}

std::string url_resource(const std::string& url) {
  return "url " + url;
}

std::string url_tag(const UpstreamIdentity& identity) {
  return std::to_string(identity.length) + "\n" + identity.etag + "\n" + identity.last_modified;
}

pccrc::HashScheme scheme_of(pccrc::Version version) {
  // V1: SHA-256, what Windows uses by default (hash version 1 with SHA-256 for HTTP).
  return version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
}

}  // namespace

struct PccrtpHashCache::Database {
  sqlite::Database db;
  sqlite::Statement select;
  sqlite::Statement upsert;
  sqlite::Statement exists;
};

Expected<std::unique_ptr<PccrtpHashCache>, std::string> PccrtpHashCache::open(
    PccrtpHashCacheOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.database.parent_path(), ec);
  if (ec) {
    return Unexpected("cannot create " + options.database.parent_path().string() + ": " +
                      ec.message());
  }
  auto db = sqlite::Database::open(options.database);
  if (!db) return Unexpected(options.database.string() + ": " + db.error().message);
  auto state = std::make_unique<Database>();
  state->db = std::move(*db);
  if (auto done = state->db.exec(kPragmas); !done) {
    return Unexpected(options.database.string() + ": " + done.error().message);
  }
  auto user_version = sqlite::Statement::prepare(state->db, "PRAGMA user_version");
  if (!user_version) return Unexpected(options.database.string() + ": cannot read its version");
  auto row = user_version->step();
  if (!row) return Unexpected(options.database.string() + ": " + row.error().message);
  const bool current = *row && user_version->column_int64(0) == kSchemaVersion;
  user_version->reset();
  if (auto done = state->db.exec(current ? kSchema : kRecreate); !done) {
    return Unexpected(options.database.string() + ": " + done.error().message);
  }
  auto select = sqlite::Statement::prepare(
      state->db,
      "SELECT ci FROM content_information WHERE resource=?1 AND key_id=?2 AND ci_version=?3"
      " AND version_tag=?4");
  auto upsert = sqlite::Statement::prepare(
      state->db,
      "INSERT OR REPLACE INTO content_information"
      " (resource, key_id, ci_version, version_tag, ci) VALUES (?1,?2,?3,?4,?5)");
  auto exists = sqlite::Statement::prepare(
      state->db,
      "SELECT 1 FROM content_information WHERE resource=?1 AND key_id=?2 AND ci_version=?3");
  auto purge =
      sqlite::Statement::prepare(state->db, "DELETE FROM content_information WHERE key_id<>?1");
  if (!select || !upsert || !exists || !purge) {
    return Unexpected(options.database.string() + ": cannot prepare statements");
  }
  state->select = std::move(*select);
  state->upsert = std::move(*upsert);
  state->exists = std::move(*exists);
  const crypto::Digest id = crypto::hash(crypto::HashAlgorithm::sha256, options.secret.bytes());
  const std::vector<std::uint8_t> key_id(id.bytes().begin(), id.bytes().end());
  purge->bind(1, key_id);
  if (auto done = purge->run(); !done) {
    return Unexpected(options.database.string() + ": " + done.error().message);
  }
  return std::unique_ptr<PccrtpHashCache>(
      new PccrtpHashCache(std::move(options), std::move(state)));
}

PccrtpHashCache::PccrtpHashCache(PccrtpHashCacheOptions options, std::unique_ptr<Database> db)
    : options_(std::move(options)), db_(std::move(db)) {
  const crypto::Digest id = crypto::hash(crypto::HashAlgorithm::sha256, options_.secret.bytes());
  key_id_.assign(id.bytes().begin(), id.bytes().end());
  worker_ = std::thread([this] { run_worker(); });
}

PccrtpHashCache::~PccrtpHashCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  for (auto& job : queue_) ::close(job.fd);
}

PccrtpHashCache::Key PccrtpHashCache::key_of(const FileIdentity& identity, pccrc::Version version) {
  return {identity.device, identity.inode, identity.size, identity.mtime_ns,
          static_cast<int>(version)};
}

std::optional<std::vector<std::uint8_t>> PccrtpHashCache::find_row(const std::string& resource,
                                                                   const std::string& tag,
                                                                   pccrc::Version version) {
  auto& select = db_->select;
  select.reset();
  select.bind(1, bytes_of(resource))
      .bind(2, key_id_)
      .bind(3, static_cast<std::int64_t>(version))
      .bind(4, bytes_of(tag));
  auto row = select.step();
  if (!row || !*row) {
    select.reset();
    ++counters_.misses;
    return std::nullopt;
  }
  const auto blob = select.column_blob(0);
  std::vector<std::uint8_t> ci(blob.begin(), blob.end());
  select.reset();
  ++counters_.hits;
  return ci;
}

void PccrtpHashCache::store_row(const std::string& resource, const std::string& tag,
                                pccrc::Version version, const std::vector<std::uint8_t>& ci) {
  auto& upsert = db_->upsert;
  upsert.reset();
  upsert.bind(1, bytes_of(resource))
      .bind(2, key_id_)
      .bind(3, static_cast<std::int64_t>(version))
      .bind(4, bytes_of(tag))
      .bind(5, ci);
  // A failed write (disk full) only means the content is hashed again next time.
  (void)upsert.run();
  upsert.reset();
}

std::optional<std::vector<std::uint8_t>> PccrtpHashCache::find(const FileIdentity& identity,
                                                               pccrc::Version version) {
  std::lock_guard lock(mutex_);
  return find_row(file_resource(identity), file_tag(identity), version);
}

std::optional<std::vector<std::uint8_t>> PccrtpHashCache::find(const UpstreamIdentity& identity,
                                                               pccrc::Version version) {
  std::lock_guard lock(mutex_);
  return find_row(url_resource(identity.url), url_tag(identity), version);
}

bool PccrtpHashCache::knows(const std::string& url, pccrc::Version version) {
  std::lock_guard lock(mutex_);
  auto& exists = db_->exists;
  exists.reset();
  const std::string resource = url_resource(url);
  exists.bind(1, bytes_of(resource)).bind(2, key_id_).bind(3, static_cast<std::int64_t>(version));
  auto row = exists.step();
  const bool found = row && *row;
  exists.reset();
  return found;
}

std::unique_ptr<pccrc::ContentInformationBuilder> PccrtpHashCache::builder(
    pccrc::Version version) const {
  return std::make_unique<pccrc::ContentInformationBuilder>(
      options_.secret, pccrc::BuildOptions{scheme_of(version), options_.threads, {}});
}

void PccrtpHashCache::store(const UpstreamIdentity& identity, pccrc::Version version,
                            const std::vector<std::uint8_t>& ci) {
  std::lock_guard lock(mutex_);
  store_row(url_resource(identity.url), url_tag(identity), version, ci);
  ++counters_.stored;
}

std::optional<std::vector<std::uint8_t>> PccrtpHashCache::hash(int fd, const FileIdentity& identity,
                                                               pccrc::Version version) {
  pccrc::ContentInformationBuilder builder(
      options_.secret, pccrc::BuildOptions{scheme_of(version), options_.threads, {}});
  std::uint64_t at = 0;
  while (at < identity.size) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return std::nullopt;
    }
    auto space = builder.prepare();
    const std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>({space.size(), kMaxReadBytes, identity.size - at}));
    const ssize_t n = ::pread(fd, space.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // an I/O error, or the file shrank
    builder.commit(static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
  // Bytes past the size we were told of mean the file grew: another version.
  std::uint8_t probe = 0;
  if (::pread(fd, &probe, 1, static_cast<off_t>(at)) != 0) return std::nullopt;
  // The identity again: a write during the hashing changed the mtime (or the size).
  const auto after = identity_of(fd);
  if (!after || !(*after == identity)) return std::nullopt;
  auto ci = builder.finish();
  if (!ci) return std::nullopt;
  return pccrc::encode(*ci);
}

void PccrtpHashCache::store_locked(const FileIdentity& identity, pccrc::Version version,
                                   const std::vector<std::uint8_t>& ci) {
  store_row(file_resource(identity), file_tag(identity), version, ci);
}

std::optional<std::vector<std::uint8_t>> PccrtpHashCache::compute(int fd,
                                                                  const FileIdentity& identity,
                                                                  pccrc::Version version) {
  auto ci = hash(fd, identity, version);
  std::lock_guard lock(mutex_);
  if (!ci) {
    ++counters_.discarded;
    return std::nullopt;
  }
  store_locked(identity, version, *ci);
  ++counters_.computed;
  return ci;
}

void PccrtpHashCache::schedule(int fd, const FileIdentity& identity, pccrc::Version version) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !pending_.insert(key_of(identity, version)).second) return;
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      pending_.erase(key_of(identity, version));
      return;
    }
    queue_.push_back(Job{copy, identity, version});
  }
  wake_.notify_one();
}

bool PccrtpHashCache::pending(const FileIdentity& identity, pccrc::Version version) const {
  std::lock_guard lock(mutex_);
  return pending_.contains(key_of(identity, version));
}

void PccrtpHashCache::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || stopping_; });
}

PccrtpHashCacheCounters PccrtpHashCache::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void PccrtpHashCache::run_worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    Job job = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::optional<std::vector<std::uint8_t>> ci;
    try {
      ci = hash(job.fd, job.identity, job.version);
    } catch (const std::exception&) {
      ci.reset();  // out of memory, say: the file is served plain and tried again later
    }
    ::close(job.fd);
    lock.lock();
    if (ci) {
      store_locked(job.identity, job.version, *ci);
      ++counters_.computed;
    } else if (!stopping_) {
      ++counters_.discarded;
    }
    pending_.erase(key_of(job.identity, job.version));
    busy_ = false;
    idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace peerdist::net
