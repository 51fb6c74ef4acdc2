// The publication catalog: what peerdistd has published, for whom, with its content
// information (CI), kept in one SQLite file that survives restarts and crashes.
//
// A publication is keyed by (owner uid, content identifier): the same identifier under two
// users is two publications (spec/peerdist-api.md §1.4, §4.2). It holds the encoded
// whole-content CI for each version the service made (1 and/or 2), and the catalog indexes the
// segment IDs (HoHoDk) of those CIs so that a peer's request for a segment finds the content.
//
// Durability: a publication is inserted in one transaction (row, every CI, every segment row)
// committed with synchronous=FULL in WAL mode, so once insert_publication() returns success it
// survives a crash of the process and a power loss, and a crash at any moment leaves either
// the whole publication or nothing.
//
// Thread safety: a Catalog is one SQLite connection, opened without SQLite's own mutex. Use it
// from one thread at a time (peerdistd uses it from one strand); it has no locks of its own.
// It may be moved, also to another thread between uses; a moved-from Catalog answers every
// call with StoreErrc::closed. Other processes may open the same file: SQLite's file locks
// serialise writers, and a writer waits up to the busy timeout before StoreErrc::busy.
//
// CI bytes read back are returned as stored, not re-validated: they come from a file that
// anyone with access to the state directory can change, so callers parse them
// (pccrc::parse) as untrusted input before use.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/store/errc.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/util/strong_index.hpp"

namespace peerdist::store {

// The catalog's row id of a publication: stable for the life of the publication, never reused
// while it exists (a removed publication's id may come back later).
using PublicationId = util::StrongIndex<struct PublicationIdTag, std::int64_t>;

// Content identifiers are opaque application bytes (PeerDistServerPublishStream).
inline constexpr std::size_t kMaxContentIdSize = 65536;

// One encoded CI of a new publication. The bytes are a view, read during the call only.
struct EncodedContentInformation {
  pccrc::Version version = pccrc::Version::v1;
  std::span<const std::uint8_t> bytes;
};

struct NewPublication {
  std::uint32_t owner_uid = 0;
  std::span<const std::uint8_t> content_id;  // 1..kMaxContentIdSize bytes; read during the call
  std::uint64_t content_length = 0;
  // Survives the API instance that published it and service restarts. Non-persistent
  // publications belong to a live instance: remove_non_persistent() drops them at start-up.
  bool persistent = false;
  std::optional<std::chrono::sys_seconds> created_at;  // now when not given
  // Whole-content CIs, at most one per version, each describing exactly [0, content_length).
  // Empty exactly when content_length is 0: a CI cannot describe empty content.
  std::vector<EncodedContentInformation> content_information;
};

struct PublicationRecord {
  PublicationId id;
  std::uint32_t owner_uid = 0;
  std::vector<std::uint8_t> content_id;
  std::uint64_t content_length = 0;
  bool persistent = false;
  std::chrono::sys_seconds created_at{};
  std::vector<pccrc::Version> versions;  // the CI versions stored, ascending

  [[nodiscard]] bool has_version(pccrc::Version v) const noexcept;
  friend bool operator==(const PublicationRecord&, const PublicationRecord&) = default;
};

struct CatalogCounts {
  std::uint64_t publications = 0;
  std::uint64_t persistent = 0;
  std::uint64_t content_information_bytes = 0;  // the sum of the stored CI sizes
  friend bool operator==(const CatalogCounts&, const CatalogCounts&) = default;
};

// Where a segment (by its segment ID) is found among the publications.
struct SegmentLocation {
  PublicationId publication;
  pccrc::Version version = pccrc::Version::v1;
  pccrc::SegmentIndex segment_index;
  std::uint64_t offset = 0;  // of the segment in the content
  std::uint32_t length = 0;
  friend bool operator==(const SegmentLocation&, const SegmentLocation&) = default;
};

struct OpenOptions {
  // A file that is not a healthy SQLite database is renamed to "<name>.corrupt-<UTC time>"
  // (its -wal beside it, likewise) and an empty catalog is started in its place. Without it,
  // open() fails with StoreErrc::corrupt and leaves the file alone.
  bool recover_corrupt = false;
  // How long a call waits for another process's lock before StoreErrc::busy.
  std::chrono::milliseconds busy_timeout{5000};
};

class Catalog {
 public:
  // The schema version this code writes (PRAGMA user_version); open() migrates older files.
  static constexpr int kSchemaVersion = 1;

  // Opens or creates the catalog (a new file is created 0600: CIs are as good as the content,
  // spec/peerdist-api.md §1.4), checks it with PRAGMA quick_check and migrates the schema.
  // Errors: cannot_open, corrupt (unless recover_corrupt), not_a_catalog, newer_schema, busy,
  // io_error.
  [[nodiscard]] static Expected<Catalog, StoreError> open(const std::filesystem::path& db_file,
                                                          const OpenOptions& options = {});

  ~Catalog();
  Catalog(Catalog&& other) noexcept;
  Catalog& operator=(Catalog&& other) noexcept;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Where open() moved a corrupt file when recover_corrupt made it start empty; nullopt when
  // it found the file healthy (or absent).
  [[nodiscard]] const std::optional<std::filesystem::path>& moved_aside() const noexcept;
  [[nodiscard]] const std::filesystem::path& file() const noexcept;

  // Inserts the publication, its CIs and their segment rows in one durable transaction: all
  // or nothing. Errors: already_exists for a (uid, content id) already there; invalid_argument
  // when the content id's size, the CIs (parsed here), their versions or ranges break the
  // rules of NewPublication.
  [[nodiscard]] Expected<PublicationId, StoreError> insert_publication(
      const NewPublication& publication);

  [[nodiscard]] Expected<std::optional<PublicationRecord>, StoreError> find_publication(
      std::uint32_t owner_uid, std::span<const std::uint8_t> content_id);
  // The stored CI bytes (untrusted: parse before use), or nullopt if there is none.
  [[nodiscard]] Expected<std::optional<std::vector<std::uint8_t>>, StoreError> content_information(
      PublicationId publication, pccrc::Version version);
  // true when a publication was removed (with its CIs and segment rows).
  [[nodiscard]] Expected<bool, StoreError> remove_publication(
      std::uint32_t owner_uid, std::span<const std::uint8_t> content_id);
  // Removes every non-persistent publication; returns how many. Called at service start.
  [[nodiscard]] Expected<std::uint64_t, StoreError> remove_non_persistent();
  [[nodiscard]] Expected<CatalogCounts, StoreError> counts();
  // One user's publications, oldest first.
  [[nodiscard]] Expected<std::vector<PublicationRecord>, StoreError> list(std::uint32_t owner_uid);
  // Every place a segment ID occurs, by publication, version and segment index.
  [[nodiscard]] Expected<std::vector<SegmentLocation>, StoreError> find_segments(
      std::span<const std::uint8_t> segment_id);

 private:
  struct Impl;
  explicit Catalog(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peerdist::store
