#include "sqlite.hpp"

#include <climits>
#include <utility>

namespace peerdist::store::sqlite {

StoreErrc classify(int result_code) noexcept {
  switch (result_code & 0xff) {  // the primary code: the low byte of an extended one
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return StoreErrc::corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StoreErrc::busy;
    case SQLITE_FULL: return StoreErrc::disk_full;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM: return StoreErrc::io_error;
    case SQLITE_CANTOPEN: return StoreErrc::cannot_open;
    default: return StoreErrc::database_error;
  }
}

StoreError error(int result_code, sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  // sqlite3_errmsg() says more ("no such table: x") than the code's generic text, but only a
  // connection has it.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
  message += " (SQLite code " + std::to_string(result_code) + ")";
  return {classify(result_code), std::move(message)};
}

// --- Database ---

Expected<Database, StoreError> Database::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  // NOMUTEX: the catalog is used from one thread at a time (its documented contract), so
  // SQLite's per-connection mutex would only cost. The URI flag is off: a path is a path.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  Database database(db);  // sqlite3_open_v2 may hand out a handle even when it fails
  if (rc != SQLITE_OK) {
    return Unexpected(error(rc, db, "cannot open " + file.string()));
  }
  // Extended codes tell SQLITE_IOERR_FSYNC from SQLITE_IOERR_WRITE in the messages.
  sqlite3_extended_result_codes(db, 1);
  return database;
}

Database::~Database() {
  close();
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

void Database::close() noexcept {
  if (db_ != nullptr) {
    // _v2: should a statement still be alive somewhere, the connection closes when it is
    // finalised instead of leaking.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

std::int64_t Database::changes() const noexcept {
  return db_ == nullptr ? 0 : sqlite3_changes64(db_);
}

Expected<void, StoreError> Database::exec(const char* sql) const {
  if (db_ == nullptr) return Unexpected(StoreError{StoreErrc::closed, "database is closed"});
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Unexpected(error(rc, db_, "SQL failed"));
  return {};
}

// --- Statement ---

Expected<Statement, StoreError> Statement::prepare(const Database& db, std::string_view sql) {
  if (!db) return Unexpected(StoreError{StoreErrc::closed, "database is closed"});
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return Unexpected(StoreError{StoreErrc::invalid_argument, "SQL text too long"});
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  Statement statement(db.get(), stmt);
  if (rc != SQLITE_OK) return Unexpected(error(rc, db.get(), "cannot prepare SQL"));
  // One statement per Statement: a second one in the text would silently never run.
  const auto consumed = static_cast<std::size_t>(tail - sql.data());
  if (stmt == nullptr ||
      sql.substr(consumed).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return Unexpected(StoreError{StoreErrc::database_error, "SQL must hold exactly one statement"});
  }
  return statement;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}  // a no-op on null

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_result_(std::exchange(other.bind_result_, SQLITE_OK)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_result_ = std::exchange(other.bind_result_, SQLITE_OK);
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) noexcept {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_result_ == SQLITE_OK) bind_result_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::span<const std::uint8_t> blob) noexcept {
  // sqlite3_bind_blob with a null pointer binds NULL, and an empty span's data() may be null:
  // an empty blob is bound explicitly so that NOT NULL columns behave.
  const int rc =
      blob.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                   : sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
  if (bind_result_ == SQLITE_OK) bind_result_ = rc;
  return *this;
}

Expected<bool, StoreError> Statement::step() {
  if (stmt_ == nullptr)
    return Unexpected(StoreError{StoreErrc::closed, "statement is not prepared"});
  if (bind_result_ != SQLITE_OK)
    return Unexpected(error(bind_result_, db_, "cannot bind a parameter"));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Unexpected(error(rc, db_, "SQL failed"));
}

Expected<void, StoreError> Statement::run() {
  auto stepped = step();
  if (!stepped) return Unexpected(std::move(stepped).error());
  if (*stepped) {
    return Unexpected(
        StoreError{StoreErrc::database_error, "statement returned a row where none was expected"});
  }
  return {};
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);  // its result repeats the last step's, already reported
  sqlite3_clear_bindings(stmt_);
  bind_result_ = SQLITE_OK;
}

std::int64_t Statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

std::span<const std::uint8_t> Statement::column_blob(int column) const noexcept {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);  // after _blob, as SQLite requires
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size)};
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr || size <= 0) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

bool Statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// --- Transaction ---

Expected<Transaction, StoreError> Transaction::begin(const Database& db, Kind kind) {
  if (!db) return Unexpected(StoreError{StoreErrc::closed, "database is closed"});
  const char* sql = kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
  const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Unexpected(error(rc, db.get(), "cannot begin a transaction"));
  return Transaction(db.get());
}

Transaction::~Transaction() {
  rollback();
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    rollback();
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Expected<void, StoreError> Transaction::commit() {
  if (db_ == nullptr) return Unexpected(StoreError{StoreErrc::closed, "transaction already ended"});
  const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    StoreError failure = error(rc, db_, "cannot commit");
    rollback();
    return Unexpected(std::move(failure));
  }
  db_ = nullptr;
  return {};
}

void Transaction::rollback() noexcept {
  // SQLite rolls back by itself after some errors (SQLITE_FULL, some I/O errors); a ROLLBACK
  // then would fail with "no transaction is active", so ask first.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  db_ = nullptr;
}

}  // namespace peerdist::store::sqlite
