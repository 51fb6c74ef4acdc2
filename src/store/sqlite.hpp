// Thin RAII wrappers over the SQLite C API: a connection, a prepared statement, a transaction.
// Only what the store needs; every failure comes back as a StoreError value, never as an
// exception. Private to src/store (the catalog's header does not expose SQLite).
//
// Like a sqlite3 connection opened with SQLITE_OPEN_NOMUTEX, none of these may be used from two
// threads at once; each may be moved to another thread between uses.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "peerdist/store/errc.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::store::sqlite {

// The StoreErrc for a SQLite result code (primary or extended).
[[nodiscard]] StoreErrc classify(int result_code) noexcept;

// "<what>: <SQLite's message> (SQLite code N)", classified. `db` may be null (then only the
// code's generic text is used).
[[nodiscard]] StoreError error(int result_code, sqlite3* db, std::string_view what);

class Database {
 public:
  // Opens (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, without SQLite's own mutex: callers
  // serialise) with extended result codes on.
  [[nodiscard]] static Expected<Database, StoreError> open(const std::filesystem::path& file);

  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] sqlite3* get() const noexcept { return db_; }
  [[nodiscard]] explicit operator bool() const noexcept { return db_ != nullptr; }

  // Runs SQL that returns no rows (DDL, pragmas that set); may hold several statements.
  [[nodiscard]] Expected<void, StoreError> exec(const char* sql) const;
  // Rows changed by the last INSERT, UPDATE or DELETE (not counting foreign-key cascades).
  [[nodiscard]] std::int64_t changes() const noexcept;
  // Closes now (what the destructor does); later calls see a closed database.
  void close() noexcept;

 private:
  explicit Database(sqlite3* db) noexcept : db_(db) {}
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  [[nodiscard]] static Expected<Statement, StoreError> prepare(const Database& db,
                                                               std::string_view sql);

  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQL (?1, ?2...). A failed bind is remembered and
  // reported by the next step(), so that a sequence of binds needs no checks of its own.
  Statement& bind(int index, std::int64_t value) noexcept;
  // SQLite copies the bytes (SQLITE_TRANSIENT): a copy of a CI or a 32-byte segment ID costs
  // nothing next to the write, and a view that must outlive the bind is easy to get wrong.
  // An empty span binds an empty blob (never NULL).
  Statement& bind(int index, std::span<const std::uint8_t> blob) noexcept;

  // Advances to the next row: true when a row is ready for column_*(), false when done.
  [[nodiscard]] Expected<bool, StoreError> step();
  // step() for statements that return no row (INSERT without RETURNING, DELETE, UPDATE).
  [[nodiscard]] Expected<void, StoreError> run();
  // Back to the start with no bindings, for the next use of a statement prepared once. Ends
  // the read snapshot a half-read SELECT holds.
  void reset() noexcept;

  // Columns of the current row, numbered from 0. A blob's span is valid until the next
  // step(), reset() or destruction; NULL and the empty blob both read as an empty span.
  [[nodiscard]] std::int64_t column_int64(int column) const noexcept;
  [[nodiscard]] std::span<const std::uint8_t> column_blob(int column) const noexcept;
  [[nodiscard]] std::string column_text(int column) const;
  [[nodiscard]] bool column_is_null(int column) const noexcept;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_result_ = SQLITE_OK;
};

// A transaction that rolls back unless committed. Nested use is not supported (SQLite has no
// nested BEGIN; the catalog never needs it).
class Transaction {
 public:
  enum class Kind {
    // Takes the write lock at BEGIN, where the busy timeout can still wait for it. A deferred
    // transaction that reads and then writes can instead fail with SQLITE_BUSY_SNAPSHOT in WAL
    // mode, which no waiting cures. Every transaction that writes uses this.
    immediate,
    // Reads only: one consistent snapshot for several statements.
    deferred,
  };

  [[nodiscard]] static Expected<Transaction, StoreError> begin(const Database& db, Kind kind);

  Transaction() = default;
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Makes the changes durable as the connection's `synchronous` setting says. On failure the
  // transaction is rolled back (by SQLite or by the destructor) and nothing is kept.
  [[nodiscard]] Expected<void, StoreError> commit();

 private:
  explicit Transaction(sqlite3* db) noexcept : db_(db) {}
  void rollback() noexcept;
  sqlite3* db_ = nullptr;  // null once committed or rolled back
};

}  // namespace peerdist::store::sqlite
