// The hash cache on its own: upstream rows (the reverse proxy's) keyed by URL, validators and
// length, and a database of the previous schema recreated rather than misread.
#include "peerdist/net/pccrtp_hash_cache.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "pccrtp_test_support.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::net {
namespace {

using test_support::Bytes;

UpstreamIdentity upstream_version(std::string etag) {
  UpstreamIdentity identity;
  identity.url = "http://origin.example/a.iso";
  identity.etag = std::move(etag);
  identity.last_modified = "Sun, 22 Nov 2026 08:00:00 GMT";
  identity.length = 100000;
  return identity;
}

TEST(PccrtpHashCacheUpstream, AHitNeedsTheSameUrlValidatorsLengthAndVersion) {
  const test::TempDir state;
  auto cache = test_support::open_test_cache(state.path());
  ASSERT_TRUE(cache);
  const Bytes ci = {1, 2, 3};
  const auto stored = upstream_version("\"v1\"");
  EXPECT_FALSE(cache->knows(stored.url, pccrc::Version::v2));
  cache->store(stored, pccrc::Version::v2, ci);
  EXPECT_TRUE(cache->knows(stored.url, pccrc::Version::v2));
  EXPECT_FALSE(cache->knows(stored.url, pccrc::Version::v1));
  EXPECT_EQ(cache->find(stored, pccrc::Version::v2), ci);
  EXPECT_FALSE(cache->find(stored, pccrc::Version::v1));
  auto other = stored;
  other.etag = "\"v2\"";
  EXPECT_FALSE(cache->find(other, pccrc::Version::v2));
  other = stored;
  other.last_modified = "Sun, 22 Nov 2026 08:00:01 GMT";
  EXPECT_FALSE(cache->find(other, pccrc::Version::v2));
  other = stored;
  other.length += 1;
  EXPECT_FALSE(cache->find(other, pccrc::Version::v2));
  other = stored;
  other.url += "x";
  EXPECT_FALSE(cache->find(other, pccrc::Version::v2));
  // A new version of the URL replaces the old row: the old one is never served again.
  const Bytes newer_ci = {4, 5};
  cache->store(upstream_version("\"v2\""), pccrc::Version::v2, newer_ci);
  EXPECT_EQ(cache->find(upstream_version("\"v2\""), pccrc::Version::v2), newer_ci);
  EXPECT_FALSE(cache->find(stored, pccrc::Version::v2));
  EXPECT_EQ(cache->counters().stored, 2U);
}

TEST(PccrtpHashCacheSchema, APreviousSchemaIsDroppedAndRecreated) {
  const test::TempDir state;
  const auto path = state.path() / "hash-cache.sqlite";
  {
    // The first schema: keyed by (device, inode, key_id, ci_version), no user_version.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE content_information (device INTEGER NOT NULL,"
                           " inode INTEGER NOT NULL, key_id BLOB NOT NULL, ci_version INTEGER NOT"
                           " NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ci BLOB NOT"
                           " NULL, PRIMARY KEY (device, inode, key_id, ci_version)) WITHOUT ROWID;"
                           "INSERT INTO content_information VALUES (1, 2, x'00', 1, 3, 4, x'05');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto cache = test_support::open_test_cache(state.path());
  ASSERT_TRUE(cache);
  const auto identity = upstream_version("\"v1\"");
  cache->store(identity, pccrc::Version::v1, Bytes{9});
  EXPECT_EQ(cache->find(identity, pccrc::Version::v1), Bytes{9});
  cache.reset();
  // Reopened at the current schema: kept.
  cache = test_support::open_test_cache(state.path());
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->find(identity, pccrc::Version::v1), Bytes{9});
}

}  // namespace
}  // namespace peerdist::net
