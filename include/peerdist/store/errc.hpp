// Errors of the publication catalog, as values: a code a caller can act on and a message that
// names the file and what SQLite said, for the log and for the person who reads it.
#pragma once

#include <string>
#include <system_error>

namespace peerdist::store {

enum class StoreErrc {
  already_exists = 1,  // a publication with this (owner uid, content identifier) exists
  invalid_argument,    // the request breaks a rule of the catalog (the message says which)
  cannot_open,         // the file cannot be opened or created (missing folder, permissions)
  corrupt,             // the file is not a healthy SQLite database
  not_a_catalog,       // a healthy SQLite database, but not a peerdist catalog
  newer_schema,        // written by a newer peerdist: left untouched
  busy,                // another connection held the lock for longer than the busy timeout
  disk_full,           // nothing was written (the transaction rolled back)
  io_error,            // the disk or the file system failed, or the file is read-only
  closed,              // the Catalog was moved from
  database_error,      // any other SQLite failure: a bug or an exhausted resource
};

[[nodiscard]] const std::error_category& store_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

struct StoreError {
  StoreErrc code = StoreErrc::database_error;
  std::string message;  // complete sentence-like text: what failed, on which file, and why

  [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(code); }
};

}  // namespace peerdist::store

template <>
struct std::is_error_code_enum<peerdist::store::StoreErrc> : std::true_type {};
