// Opening one of peerdist's own SQLite files: created 0600, WAL, checked with quick_check,
// identified by application_id, schema versioned by user_version and migrated in one
// transaction; a corrupt file moved aside on request. Private to src/store.
//
// The publication catalog and the data cache open their files with this.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "peerdist/store/errc.hpp"
#include "peerdist/util/expected.hpp"

#include "sqlite.hpp"

namespace peerdist::store::database_file {

struct Schema {
  std::int64_t application_id = 0;
  // migrations[v] brings a file from user_version v to v + 1; the current version is their count.
  std::span<const char* const> migrations;
  // Run on every connection after WAL is on (synchronous, foreign_keys...).
  const char* connection_pragmas = "";
};

// Creates the file 0600 if it does not exist (SQLite would create it 0644 less the umask; its
// -wal and -shm files take the database's mode).
[[nodiscard]] Expected<void, StoreError> create_private_file(const std::filesystem::path& file);

// Opens, sets WAL and the pragmas, runs quick_check, checks application_id and migrates.
// Errors: cannot_open, corrupt, not_a_catalog (another application's file), newer_schema,
// busy, io_error.
[[nodiscard]] Expected<sqlite::Database, StoreError> open(const std::filesystem::path& file,
                                                          const Schema& schema,
                                                          std::chrono::milliseconds busy_timeout);

// Renames a corrupt file (and its -wal / -journal) to "<name>.corrupt-<UTC time>[-n]" and
// removes its -shm; returns the new name.
[[nodiscard]] Expected<std::filesystem::path, StoreError> move_aside(
    const std::filesystem::path& file);

// The single integer a query returns.
[[nodiscard]] Expected<std::int64_t, StoreError> query_int(const sqlite::Database& db,
                                                           std::string_view query);

}  // namespace peerdist::store::database_file
