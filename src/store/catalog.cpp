#include "peerdist/store/catalog.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/codec.hpp"

#include "database_file.hpp"
#include "sqlite.hpp"

namespace peerdist::store {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

// PRAGMA application_id of a catalog file ("PDCA"), so that open() tells a peerdist catalog
// from some other application's SQLite file instead of adding tables to it.
constexpr std::int64_t kApplicationId = 0x50444341;

// --- The schema, one migration per version. ---
//
// kMigrations[v] brings a file from user_version v to v + 1. A migration runs inside the
// transaction that also sets user_version, so a crash leaves the old version or the new one.
// Released migrations are never edited: a change is a new entry.
constexpr std::array<const char*, Catalog::kSchemaVersion> kMigrations = {
    // 0 -> 1: publications, their CIs, and the segment IDs of those CIs.
    R"sql(
CREATE TABLE publications (
  id             INTEGER PRIMARY KEY,
  owner_uid      INTEGER NOT NULL CHECK (owner_uid BETWEEN 0 AND 4294967295),
  content_id     BLOB    NOT NULL CHECK (length(content_id) BETWEEN 1 AND 65536),
  content_length INTEGER NOT NULL CHECK (content_length >= 0),
  persistent     INTEGER NOT NULL CHECK (persistent IN (0, 1)),
  created_at     INTEGER NOT NULL,  -- unix seconds
  UNIQUE (owner_uid, content_id)    -- also the index find and remove use
) STRICT;

-- The encoded whole-content CI, per version. A rowid table: CI blobs can be megabytes, which a
-- WITHOUT ROWID table would store in its index b-tree.
CREATE TABLE content_information (
  publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
  version        INTEGER NOT NULL CHECK (version IN (1, 2)),
  bytes          BLOB    NOT NULL,
  PRIMARY KEY (publication_id, version)
) STRICT;

-- One row per segment of each stored CI: what a peer's request for a segment ID looks up.
-- It belongs to its CI row, so deleting a publication deletes both (cascade through the CI).
CREATE TABLE segments (
  publication_id INTEGER NOT NULL,
  version        INTEGER NOT NULL,
  segment_index  INTEGER NOT NULL CHECK (segment_index >= 0),
  segment_id     BLOB    NOT NULL,  -- HoHoDk
  offset         INTEGER NOT NULL CHECK (offset >= 0),
  length         INTEGER NOT NULL CHECK (length BETWEEN 1 AND 4294967295),
  PRIMARY KEY (publication_id, version, segment_index),
  FOREIGN KEY (publication_id, version)
    REFERENCES content_information (publication_id, version) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX segments_by_segment_id ON segments (segment_id);
)sql",
};

// --- Every statement the catalog runs, each in one place. ---
namespace sql {

// database_file::open() puts the file in WAL mode: readers (a status query from another
// process) never block the writer, and a commit appends to the log instead of rewriting pages
// in place, so a crash mid-commit cannot tear the main file.

// synchronous=FULL: in WAL mode, NORMAL syncs only at checkpoints, so a commit could be lost to
// a power cut after insert_publication() returned. FULL syncs the log at every commit. Every
// write of the catalog is a rare, whole-publication change, so it applies to all of them.
// foreign_keys: off by default per connection; the cascades that keep CI and segment rows from
// outliving their publication need it.
constexpr const char* kConnectionPragmas =
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;";

// DO NOTHING on the (owner_uid, content_id) conflict: no row comes back, which is
// already_exists, without relying on an error code for an expected case.
constexpr std::string_view kInsertPublication =
    "INSERT INTO publications (owner_uid, content_id, content_length, persistent, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (owner_uid, content_id) DO NOTHING RETURNING id";

constexpr std::string_view kInsertContentInformation =
    "INSERT INTO content_information (publication_id, version, bytes) VALUES (?1, ?2, ?3)";

constexpr std::string_view kInsertSegment =
    "INSERT INTO segments (publication_id, version, segment_index, segment_id, offset, length) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// The record and a bit mask of its CI versions (bit v set for version v) in one statement, so
// both come from one snapshot. The column list is shared by literal concatenation, the only
// compile-time way, because read_record() depends on its order.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define PEERDIST_PUBLICATION_COLUMNS                                                       \
  "SELECT p.id, p.owner_uid, p.content_id, p.content_length, p.persistent, p.created_at, " \
  "(SELECT coalesce(sum(1 << c.version), 0) FROM content_information AS c "                \
  " WHERE c.publication_id = p.id) "                                                       \
  "FROM publications AS p "
constexpr std::string_view kFindPublication =
    PEERDIST_PUBLICATION_COLUMNS "WHERE p.owner_uid = ?1 AND p.content_id = ?2";
constexpr std::string_view kListPublications =
    PEERDIST_PUBLICATION_COLUMNS "WHERE p.owner_uid = ?1 ORDER BY p.id";
#undef PEERDIST_PUBLICATION_COLUMNS

constexpr std::string_view kContentInformation =
    "SELECT bytes FROM content_information WHERE publication_id = ?1 AND version = ?2";

// The cascades remove the CI and segment rows in the same statement.
constexpr std::string_view kRemovePublication =
    "DELETE FROM publications WHERE owner_uid = ?1 AND content_id = ?2";
constexpr std::string_view kRemoveNonPersistent = "DELETE FROM publications WHERE persistent = 0";

// length() of a blob reads the record header, not the blob's pages.
constexpr std::string_view kCounts =
    "SELECT (SELECT count(*) FROM publications), "
    "       (SELECT count(*) FROM publications WHERE persistent = 1), "
    "       (SELECT coalesce(sum(length(bytes)), 0) FROM content_information)";

constexpr std::string_view kFindSegments =
    "SELECT publication_id, version, segment_index, offset, length FROM segments "
    "WHERE segment_id = ?1 ORDER BY publication_id, version, segment_index";

}  // namespace sql

// --- Small helpers ---

StoreError with_context(StoreError error, std::string_view operation,
                        const std::filesystem::path& file) {
  error.message = std::string(operation) + " (" + file.string() + "): " + error.message;
  return error;
}

StoreError invalid(std::string message) {
  return {StoreErrc::invalid_argument, std::move(message)};
}

StoreError closed_error() {
  return {StoreErrc::closed, "the catalog was moved from"};
}

// Values read back are checked like any input: the file may have been edited.
StoreError corrupt_value(std::string_view what) {
  return {StoreErrc::corrupt, "catalog holds an impossible value for " + std::string(what)};
}

std::optional<pccrc::Version> version_from(std::int64_t value) noexcept {
  if (value == 1) return pccrc::Version::v1;
  if (value == 2) return pccrc::Version::v2;
  return std::nullopt;
}

std::int64_t to_sql(pccrc::Version v) noexcept {
  return static_cast<std::int64_t>(v);
}

// One row of kFindPublication / kListPublications.
Expected<PublicationRecord, StoreError> read_record(const Statement& row) {
  PublicationRecord record;
  record.id = PublicationId{row.column_int64(0)};
  const std::int64_t uid = row.column_int64(1);
  if (uid < 0 || uid > std::numeric_limits<std::uint32_t>::max()) {
    return Unexpected(corrupt_value("owner_uid"));
  }
  record.owner_uid = static_cast<std::uint32_t>(uid);
  const auto content_id = row.column_blob(2);
  record.content_id.assign(content_id.begin(), content_id.end());
  const std::int64_t length = row.column_int64(3);
  if (length < 0) return Unexpected(corrupt_value("content_length"));
  record.content_length = static_cast<std::uint64_t>(length);
  record.persistent = row.column_int64(4) != 0;
  record.created_at = std::chrono::sys_seconds{std::chrono::seconds{row.column_int64(5)}};
  const std::int64_t mask = row.column_int64(6);
  for (const pccrc::Version v : {pccrc::Version::v1, pccrc::Version::v2}) {
    if ((mask & (std::int64_t{1} << to_sql(v))) != 0) record.versions.push_back(v);
  }
  return record;
}

// A segment row to insert, computed before the write transaction so the lock is held only for
// the inserts.
struct SegmentRow {
  pccrc::Version version;
  std::int64_t index;
  crypto::Digest segment_id;
  std::int64_t offset;
  std::int64_t length;
};

// Checks a new publication against the rules of NewPublication and derives its segment rows.
Expected<std::vector<SegmentRow>, StoreError> validate(const NewPublication& p) {
  if (p.content_id.empty() || p.content_id.size() > kMaxContentIdSize) {
    return Unexpected(invalid("content identifier must be 1 to " +
                              std::to_string(kMaxContentIdSize) + " bytes, got " +
                              std::to_string(p.content_id.size())));
  }
  if (p.content_length > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Unexpected(invalid("content length too large"));
  }
  if (p.content_length == 0 && !p.content_information.empty()) {
    return Unexpected(invalid("empty content has no content information"));
  }
  if (p.content_length != 0 && p.content_information.empty()) {
    return Unexpected(invalid("a publication of non-empty content needs content information"));
  }
  std::vector<SegmentRow> rows;
  std::array<bool, 3> seen{};  // indexed by version number
  for (const EncodedContentInformation& encoded : p.content_information) {
    const auto version_number = to_sql(encoded.version);
    if (!version_from(version_number)) return Unexpected(invalid("unknown CI version"));
    const auto slot = static_cast<std::size_t>(version_number);
    if (seen[slot])
      return Unexpected(invalid("two CIs of version " + std::to_string(version_number)));
    seen[slot] = true;

    auto ci = pccrc::parse(encoded.bytes);
    if (!ci) {
      return Unexpected(invalid("CI version " + std::to_string(version_number) +
                                " does not parse: " + ci.error().message()));
    }
    if (ci->version() != encoded.version) {
      return Unexpected(invalid("CI given as version " + std::to_string(version_number) +
                                " is version " + std::string(pccrc::to_string(ci->version()))));
    }
    if (ci->range != pccrc::ByteRange{0, p.content_length}) {
      return Unexpected(invalid("CI version " + std::to_string(version_number) +
                                " describes bytes " + std::to_string(ci->range.start) + ".." +
                                std::to_string(ci->range.end) + ", not the whole content of " +
                                std::to_string(p.content_length)));
    }
    rows.reserve(rows.size() + ci->segments.size());
    for (const pccrc::Segment& segment : ci->segments) {
      // parse() bounds every segment inside the content, whose length fits an int64 (above).
      rows.push_back({encoded.version, static_cast<std::int64_t>(segment.index.value()),
                      ci->segment_id(segment), static_cast<std::int64_t>(segment.offset),
                      std::int64_t{segment.length}});
    }
  }
  return rows;
}

}  // namespace

bool PublicationRecord::has_version(pccrc::Version v) const noexcept {
  return std::find(versions.begin(), versions.end(), v) != versions.end();
}

struct Catalog::Impl {
  std::filesystem::path file;
  Database db;
  std::optional<std::filesystem::path> moved_aside;

  [[nodiscard]] StoreError fail(StoreError error, std::string_view operation) const {
    return with_context(std::move(error), operation, file);
  }
};

namespace {

// Opens, configures, checks and migrates (database_file::open); errors say only what failed
// (open() adds the file).
Expected<Database, StoreError> open_database(const std::filesystem::path& file,
                                             const OpenOptions& options) {
  const database_file::Schema schema{kApplicationId, kMigrations, sql::kConnectionPragmas};
  return database_file::open(file, schema, options.busy_timeout);
}

}  // namespace

Expected<Catalog, StoreError> Catalog::open(const std::filesystem::path& db_file,
                                            const OpenOptions& options) {
  auto db = open_database(db_file, options);
  std::optional<std::filesystem::path> moved;
  if (!db && db.error().code == StoreErrc::corrupt && options.recover_corrupt) {
    // open_database() closed its connection when it failed: nothing uses the file now.
    auto target = database_file::move_aside(db_file);
    if (!target)
      return Unexpected(with_context(std::move(target).error(), "cannot recover catalog", db_file));
    moved = std::move(*target);
    db = open_database(db_file, options);
  }
  if (!db) {
    StoreError error = std::move(db).error();
    if (error.code == StoreErrc::corrupt) {
      error.message += "; move it aside to start with an empty catalog";
      return Unexpected(with_context(std::move(error), "catalog is corrupt", db_file));
    }
    return Unexpected(with_context(std::move(error), "cannot open catalog", db_file));
  }
  auto impl = std::make_unique<Impl>();
  impl->file = db_file;
  impl->db = std::move(*db);
  impl->moved_aside = std::move(moved);
  return Catalog(std::move(impl));
}

Catalog::Catalog(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Catalog::~Catalog() = default;
Catalog::Catalog(Catalog&& other) noexcept = default;
Catalog& Catalog::operator=(Catalog&& other) noexcept = default;

const std::optional<std::filesystem::path>& Catalog::moved_aside() const noexcept {
  static const std::optional<std::filesystem::path> none;
  return impl_ ? impl_->moved_aside : none;
}

const std::filesystem::path& Catalog::file() const noexcept {
  static const std::filesystem::path none;
  return impl_ ? impl_->file : none;
}

Expected<PublicationId, StoreError> Catalog::insert_publication(const NewPublication& publication) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot insert publication";
  auto segment_rows = validate(publication);
  if (!segment_rows) return Unexpected(impl_->fail(std::move(segment_rows).error(), kOperation));
  const auto created_at = publication.created_at.value_or(
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));

  const auto failed = [&](StoreError e) {
    return Unexpected(impl_->fail(std::move(e), kOperation));
  };
  auto transaction = Transaction::begin(impl_->db, Transaction::Kind::immediate);
  if (!transaction) return failed(std::move(transaction).error());

  PublicationId id;
  {
    auto insert = Statement::prepare(impl_->db, sql::kInsertPublication);
    if (!insert) return failed(std::move(insert).error());
    insert->bind(1, std::int64_t{publication.owner_uid})
        .bind(2, publication.content_id)
        .bind(3, static_cast<std::int64_t>(publication.content_length))
        .bind(4, std::int64_t{publication.persistent ? 1 : 0})
        .bind(5, std::int64_t{created_at.time_since_epoch().count()});
    auto row = insert->step();
    if (!row) return failed(std::move(row).error());
    if (!*row) {
      return failed({StoreErrc::already_exists,
                     "owner uid " + std::to_string(publication.owner_uid) +
                         " already has a publication with this content identifier"});
    }
    id = PublicationId{insert->column_int64(0)};
  }  // the statement ends before COMMIT, which a statement still running would block
  {
    auto insert = Statement::prepare(impl_->db, sql::kInsertContentInformation);
    if (!insert) return failed(std::move(insert).error());
    for (const EncodedContentInformation& ci : publication.content_information) {
      insert->bind(1, id.value()).bind(2, to_sql(ci.version)).bind(3, ci.bytes);
      if (auto done = insert->run(); !done) return failed(done.error());
      insert->reset();
    }
  }
  {
    // One prepared statement for every segment row: ~16k rows for a 1 GiB V2 publication.
    auto insert = Statement::prepare(impl_->db, sql::kInsertSegment);
    if (!insert) return failed(std::move(insert).error());
    for (const SegmentRow& segment : *segment_rows) {
      insert->bind(1, id.value())
          .bind(2, to_sql(segment.version))
          .bind(3, segment.index)
          .bind(4, segment.segment_id.bytes())
          .bind(5, segment.offset)
          .bind(6, segment.length);
      if (auto done = insert->run(); !done) return failed(done.error());
      insert->reset();
    }
  }
  if (auto committed = transaction->commit(); !committed) return failed(committed.error());
  return id;
}

Expected<std::optional<PublicationRecord>, StoreError> Catalog::find_publication(
    std::uint32_t owner_uid, std::span<const std::uint8_t> content_id) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot find publication";
  auto find = Statement::prepare(impl_->db, sql::kFindPublication);
  if (!find) return Unexpected(impl_->fail(std::move(find).error(), kOperation));
  find->bind(1, std::int64_t{owner_uid}).bind(2, content_id);
  auto row = find->step();
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
  if (!*row) return std::optional<PublicationRecord>{};
  auto record = read_record(*find);
  if (!record) return Unexpected(impl_->fail(std::move(record).error(), kOperation));
  return std::optional<PublicationRecord>{std::move(*record)};
}

Expected<std::optional<std::vector<std::uint8_t>>, StoreError> Catalog::content_information(
    PublicationId publication, pccrc::Version version) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot read content information";
  auto read = Statement::prepare(impl_->db, sql::kContentInformation);
  if (!read) return Unexpected(impl_->fail(std::move(read).error(), kOperation));
  read->bind(1, publication.value()).bind(2, to_sql(version));
  auto row = read->step();
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
  if (!*row) return std::optional<std::vector<std::uint8_t>>{};
  const auto bytes = read->column_blob(0);
  return std::optional<std::vector<std::uint8_t>>{
      std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
}

Expected<bool, StoreError> Catalog::remove_publication(std::uint32_t owner_uid,
                                                       std::span<const std::uint8_t> content_id) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot remove publication";
  auto remove = Statement::prepare(impl_->db, sql::kRemovePublication);
  if (!remove) return Unexpected(impl_->fail(std::move(remove).error(), kOperation));
  remove->bind(1, std::int64_t{owner_uid}).bind(2, content_id);
  if (auto done = remove->run(); !done) return Unexpected(impl_->fail(done.error(), kOperation));
  return impl_->db.changes() > 0;
}

Expected<std::uint64_t, StoreError> Catalog::remove_non_persistent() {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot remove non-persistent publications";
  auto remove = Statement::prepare(impl_->db, sql::kRemoveNonPersistent);
  if (!remove) return Unexpected(impl_->fail(std::move(remove).error(), kOperation));
  if (auto done = remove->run(); !done) return Unexpected(impl_->fail(done.error(), kOperation));
  return static_cast<std::uint64_t>(impl_->db.changes());
}

Expected<CatalogCounts, StoreError> Catalog::counts() {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot count publications";
  auto count = Statement::prepare(impl_->db, sql::kCounts);
  if (!count) return Unexpected(impl_->fail(std::move(count).error(), kOperation));
  auto row = count->step();
  if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
  if (!*row) return Unexpected(impl_->fail({StoreErrc::database_error, "no row"}, kOperation));
  CatalogCounts counts;
  // count(*) and sum(length()) are never negative.
  counts.publications = static_cast<std::uint64_t>(count->column_int64(0));
  counts.persistent = static_cast<std::uint64_t>(count->column_int64(1));
  counts.content_information_bytes = static_cast<std::uint64_t>(count->column_int64(2));
  return counts;
}

Expected<std::vector<PublicationRecord>, StoreError> Catalog::list(std::uint32_t owner_uid) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot list publications";
  auto select = Statement::prepare(impl_->db, sql::kListPublications);
  if (!select) return Unexpected(impl_->fail(std::move(select).error(), kOperation));
  select->bind(1, std::int64_t{owner_uid});
  std::vector<PublicationRecord> records;
  for (;;) {
    auto row = select->step();
    if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
    if (!*row) break;
    auto record = read_record(*select);
    if (!record) return Unexpected(impl_->fail(std::move(record).error(), kOperation));
    records.push_back(std::move(*record));
  }
  return records;
}

Expected<std::vector<SegmentLocation>, StoreError> Catalog::find_segments(
    std::span<const std::uint8_t> segment_id) {
  if (!impl_) return Unexpected(closed_error());
  constexpr std::string_view kOperation = "cannot find segments";
  auto select = Statement::prepare(impl_->db, sql::kFindSegments);
  if (!select) return Unexpected(impl_->fail(std::move(select).error(), kOperation));
  select->bind(1, segment_id);
  std::vector<SegmentLocation> locations;
  for (;;) {
    auto row = select->step();
    if (!row) return Unexpected(impl_->fail(std::move(row).error(), kOperation));
    if (!*row) break;
    const auto version = version_from(select->column_int64(1));
    const std::int64_t index = select->column_int64(2);
    const std::int64_t offset = select->column_int64(3);
    const std::int64_t length = select->column_int64(4);
    if (!version || index < 0 || offset < 0 || length < 1 ||
        length > std::numeric_limits<std::uint32_t>::max()) {
      return Unexpected(impl_->fail(corrupt_value("a segment row"), kOperation));
    }
    locations.push_back({PublicationId{select->column_int64(0)}, *version,
                         pccrc::SegmentIndex{static_cast<std::uint64_t>(index)},
                         static_cast<std::uint64_t>(offset), static_cast<std::uint32_t>(length)});
  }
  return locations;
}

}  // namespace peerdist::store
