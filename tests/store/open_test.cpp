// Opening a catalog file: creation, schema version and pragmas, corrupt and foreign files,
// files from a newer peerdist, and recovery by moving a corrupt file aside.
#include <gtest/gtest.h>

#include <fstream>

#include "peerdist/store/catalog.hpp"

#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::store {
namespace {

using test::Bytes;
namespace fs = std::filesystem;

class OpenTest : public ::testing::Test {
 protected:
  [[nodiscard]] fs::path file() const { return dir_.path() / "catalog.db"; }
  [[nodiscard]] std::vector<fs::path> files_in_dir() const {
    std::vector<fs::path> names;
    for (const auto& entry : fs::directory_iterator(dir_.path()))
      names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  void write_garbage() const {
    dir_.write("catalog.db", peerdist::test::random_content(std::size_t{64} * 1024, 5));
  }
  [[nodiscard]] const peerdist::test::TempDir& dir() const { return dir_; }

 private:
  peerdist::test::TempDir dir_;
};

// A catalog with some publications, closed (the last close checkpoints the WAL into the file).
void fill(const fs::path& file, int publications) {
  static const test::PublishedContent content = test::build_content(1U << 20U, 3);
  auto catalog = Catalog::open(file);
  ASSERT_TRUE(catalog) << catalog.error().message;
  for (int i = 0; i < publications; ++i) {
    const Bytes id = test::as_bytes("content " + std::to_string(i));
    auto inserted = catalog->insert_publication(test::new_publication(7, id, content));
    ASSERT_TRUE(inserted) << inserted.error().message;
  }
}

TEST_F(OpenTest, CreatesANewCatalogWithTheCurrentSchemaInWalMode) {
  auto catalog = Catalog::open(file());
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_FALSE(catalog->moved_aside());
  EXPECT_EQ(catalog->file(), file());

  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "PRAGMA user_version"), Catalog::kSchemaVersion);
  EXPECT_EQ(test::query_int(raw, "PRAGMA application_id"), 0x50444341);
  EXPECT_EQ(test::query_int(raw,
                            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                            "('publications', 'content_information', 'segments')"),
            3);
  EXPECT_EQ(test::query_int(raw,
                            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                            "name = 'segments_by_segment_id'"),
            1);
  // WAL is a property of the file, so another connection sees it.
  auto mode = sqlite::Statement::prepare(raw, "PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
}

TEST_F(OpenTest, ReopeningKeepsTheSchemaAndTheData) {
  fill(file(), 2);
  auto catalog = Catalog::open(file());
  ASSERT_TRUE(catalog) << catalog.error().message;
  auto counts = catalog->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->publications, 2U);
  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "PRAGMA user_version"), Catalog::kSchemaVersion);
}

TEST_F(OpenTest, TwoConnectionsToOneFileSeeEachOthersCommits) {
  auto first = Catalog::open(file());
  auto second = Catalog::open(file());
  ASSERT_TRUE(first && second);
  fill(file(), 1);
  auto counts = second->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->publications, 1U);
  auto removed = first->remove_non_persistent();
  ASSERT_TRUE(removed);
}

TEST_F(OpenTest, AMissingFolderIsCannotOpen) {
  const fs::path nowhere = dir().path() / "no such folder" / "catalog.db";
  auto catalog = Catalog::open(nowhere);
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, StoreErrc::cannot_open);
  EXPECT_NE(catalog.error().message.find(nowhere.string()), std::string::npos)
      << catalog.error().message;
}

TEST_F(OpenTest, GarbageIsReportedAsCorruptAndLeftAlone) {
  write_garbage();
  const Bytes before = peerdist::test::read_file(file().string());

  auto catalog = Catalog::open(file());
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, StoreErrc::corrupt);
  const std::string& message = catalog.error().message;
  EXPECT_NE(message.find(file().string()), std::string::npos) << message;
  EXPECT_NE(message.find("corrupt"), std::string::npos) << message;
  EXPECT_NE(message.find("not a database"), std::string::npos) << message;

  EXPECT_EQ(peerdist::test::read_file(file().string()), before);
  EXPECT_EQ(files_in_dir(), std::vector<fs::path>{"catalog.db"});
}

TEST_F(OpenTest, GarbageIsMovedAsideWhenRecoveryIsAsked) {
  write_garbage();
  const Bytes garbage = peerdist::test::read_file(file().string());

  auto catalog = Catalog::open(file(), OpenOptions{.recover_corrupt = true});
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_TRUE(catalog->moved_aside());
  const fs::path aside = *catalog->moved_aside();
  EXPECT_EQ(aside.parent_path(), dir().path());
  EXPECT_EQ(aside.filename().string().rfind("catalog.db.corrupt-", 0), 0U) << aside;
  EXPECT_EQ(peerdist::test::read_file(aside.string()), garbage);

  // A working, empty catalog in its place.
  auto counts = catalog->counts();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->publications, 0U);
  catalog = Catalog::open(file());  // a healthy file now: nothing moved
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_FALSE(catalog->moved_aside());
}

TEST_F(OpenTest, DamagedPagesAreFoundByTheCheckAtOpen) {
  fill(file(), 20);  // several pages of CI blobs and segment rows
  const auto size = fs::file_size(file());
  const std::uint64_t page = 4096;
  ASSERT_GE(size, 8 * page);
  {
    // Overwrite the middle pages (b-tree headers and cells) but not page 1, the file header.
    std::fstream f(file(), std::ios::in | std::ios::out | std::ios::binary);
    const Bytes noise = peerdist::test::random_content(3 * page, 11);
    f.seekp(static_cast<std::streamoff>(size / page / 2 * page));
    f.write(reinterpret_cast<const char*>(noise.data()),
            static_cast<std::streamsize>(noise.size()));  // NOLINT
  }
  auto catalog = Catalog::open(file());
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, StoreErrc::corrupt) << catalog.error().message;

  auto recovered = Catalog::open(file(), OpenOptions{.recover_corrupt = true});
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_TRUE(recovered->moved_aside());
  auto counts = recovered->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->publications, 0U);
}

TEST_F(OpenTest, AFileFromANewerPeerdistIsRefusedAndNotMoved) {
  fill(file(), 1);
  {
    const auto raw = test::open_raw(file());
    test::exec_raw(raw, "PRAGMA user_version = 99");
  }
  auto catalog = Catalog::open(file(), OpenOptions{.recover_corrupt = true});
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, StoreErrc::newer_schema);
  EXPECT_NE(catalog.error().message.find("99"), std::string::npos) << catalog.error().message;
  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "PRAGMA user_version"), 99);
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM publications"), 1);
}

TEST_F(OpenTest, AnotherApplicationsDatabaseIsRefusedAndNotTouched) {
  {
    auto raw = sqlite::Database::open(file());
    ASSERT_TRUE(raw);
    test::exec_raw(*raw, "CREATE TABLE photos (id INTEGER PRIMARY KEY, data BLOB)");
  }
  auto catalog = Catalog::open(file(), OpenOptions{.recover_corrupt = true});
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().code, StoreErrc::not_a_catalog) << catalog.error().message;
  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM sqlite_schema"), 1);
}

TEST(StoreErrcTest, EveryCodeHasItsOwnMessageInTheStoreCategory) {
  std::vector<std::string> messages;
  for (int code = static_cast<int>(StoreErrc::already_exists);
       code <= static_cast<int>(StoreErrc::database_error); ++code) {
    const std::error_code ec = make_error_code(static_cast<StoreErrc>(code));
    EXPECT_STREQ(ec.category().name(), "peerdist.store");
    EXPECT_EQ(std::find(messages.begin(), messages.end(), ec.message()), messages.end())
        << ec.message();
    messages.push_back(ec.message());
  }
  const std::error_code from_enum = StoreErrc::busy;
  EXPECT_EQ(from_enum, make_error_code(StoreErrc::busy));
}

}  // namespace
}  // namespace peerdist::store
