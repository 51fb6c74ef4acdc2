#include "database_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <limits>
#include <string>
#include <system_error>

namespace peerdist::store::database_file {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  const std::size_t n = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return {text.data(), n};
}

// Brings the schema to the current version, or says why it cannot. One write transaction: two
// processes opening a new file at once migrate it once.
Expected<void, StoreError> migrate(const Database& db, const Schema& schema) {
  const auto current = static_cast<std::int64_t>(schema.migrations.size());
  auto transaction = Transaction::begin(db, Transaction::Kind::immediate);
  if (!transaction) return Unexpected(std::move(transaction).error());

  auto application_id = query_int(db, "PRAGMA application_id");
  if (!application_id) return Unexpected(std::move(application_id).error());
  auto version = query_int(db, "PRAGMA user_version");
  if (!version) return Unexpected(std::move(version).error());
  // Anything in the file at all: an empty file is new, not foreign.
  auto objects = query_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!objects) return Unexpected(std::move(objects).error());

  const bool fresh = *application_id == 0 && *version == 0 && *objects == 0;
  if (!fresh && *application_id != schema.application_id) {
    return Unexpected(StoreError{StoreErrc::not_a_catalog,
                                 "a SQLite database of another application (application_id " +
                                     std::to_string(*application_id) + ")"});
  }
  if (*version > current) {
    return Unexpected(StoreError{StoreErrc::newer_schema,
                                 "schema version " + std::to_string(*version) +
                                     ", this peerdist knows up to " + std::to_string(current)});
  }
  if (*version < 0) {
    return Unexpected(StoreError{StoreErrc::corrupt, "impossible user_version"});
  }
  if (*version == current) return {};  // the transaction ends without changes

  for (auto v = static_cast<std::size_t>(*version); v < schema.migrations.size(); ++v) {
    if (auto done = db.exec(schema.migrations[v]); !done) return done;
  }
  // PRAGMA takes no parameters; the values are our own constants.
  const std::string stamp = "PRAGMA application_id = " + std::to_string(schema.application_id) +
                            "; PRAGMA user_version = " + std::to_string(current);
  if (auto done = db.exec(stamp.c_str()); !done) return done;
  return transaction->commit();
}

}  // namespace

Expected<void, StoreError> create_private_file(const std::filesystem::path& file) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open is variadic by definition
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const std::error_code err(errno, std::generic_category());
    return Unexpected(StoreError{StoreErrc::cannot_open,
                                 "cannot open or create " + file.string() + ": " + err.message()});
  }
  ::close(fd);
  return {};
}

Expected<std::int64_t, StoreError> query_int(const Database& db, std::string_view query) {
  auto statement = Statement::prepare(db, query);
  if (!statement) return Unexpected(std::move(statement).error());
  auto row = statement->step();
  if (!row) return Unexpected(std::move(row).error());
  if (!*row) return Unexpected(StoreError{StoreErrc::database_error, "query returned no row"});
  return statement->column_int64(0);
}

Expected<Database, StoreError> open(const std::filesystem::path& file, const Schema& schema,
                                    std::chrono::milliseconds busy_timeout) {
  if (auto created = create_private_file(file); !created) return Unexpected(created.error());
  auto db = Database::open(file);
  if (!db) return db;
  const auto timeout_ms = std::clamp<std::chrono::milliseconds::rep>(
      busy_timeout.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db->get(), static_cast<int>(timeout_ms));

  // The first statement reads the file: a file that is not a database fails here (NOTADB).
  {
    auto wal = Statement::prepare(*db, "PRAGMA journal_mode = WAL");
    if (!wal) return Unexpected(std::move(wal).error());
    auto row = wal->step();
    if (!row) return Unexpected(std::move(row).error());
    // A file system without shared memory for the WAL index would leave another mode, and
    // with it the durability reasoning of the callers.
    const std::string mode = *row ? wal->column_text(0) : std::string();
    if (mode != "wal") {
      return Unexpected(
          StoreError{StoreErrc::io_error, "cannot use WAL mode (journal mode is '" + mode + "')"});
    }
  }
  if (auto configured = db->exec(schema.connection_pragmas); !configured)
    return Unexpected(configured.error());

  {
    // quick_check: every page and record format, O(file size), without the index contents.
    auto check = Statement::prepare(*db, "PRAGMA quick_check");
    if (!check) return Unexpected(std::move(check).error());
    std::string problems;
    int rows = 0;
    for (;;) {
      auto row = check->step();
      if (!row) return Unexpected(std::move(row).error());
      if (!*row) break;
      const std::string line = check->column_text(0);
      if (line == "ok") continue;
      if (++rows <= 3) problems += (problems.empty() ? "" : "; ") + line;
    }
    if (rows > 0) {
      return Unexpected(StoreError{StoreErrc::corrupt, "quick_check found " + std::to_string(rows) +
                                                           " problem(s): " + problems});
    }
  }
  if (auto migrated = migrate(*db, schema); !migrated) return Unexpected(migrated.error());
  return db;
}

Expected<std::filesystem::path, StoreError> move_aside(const std::filesystem::path& file) {
  const std::string base = file.string() + ".corrupt-" + utc_timestamp();
  std::filesystem::path target = base;
  std::error_code ec;
  for (int n = 1;
       std::filesystem::exists(target, ec) || std::filesystem::exists(target.string() + "-wal", ec);
       ++n) {
    target = base + "-" + std::to_string(n);
  }
  // A log left in place would be replayed into the new database: it goes first.
  for (const char* suffix : {"-wal", "-journal"}) {
    const std::filesystem::path companion = file.string() + suffix;
    if (std::filesystem::exists(companion, ec)) {
      std::filesystem::rename(companion, target.string() + suffix, ec);
      if (ec) {
        return Unexpected(StoreError{
            StoreErrc::io_error, "cannot move " + companion.string() + " aside: " + ec.message()});
      }
    }
  }
  std::filesystem::rename(file, target, ec);
  if (ec) {
    return Unexpected(StoreError{StoreErrc::io_error,
                                 "cannot move " + file.string() + " aside: " + ec.message()});
  }
  // The shared-memory index only describes the log; SQLite rebuilds it.
  std::filesystem::remove(file.string() + "-shm", ec);
  return target;
}

}  // namespace peerdist::store::database_file
