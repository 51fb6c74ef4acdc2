// The SQLite wrappers: transactions that roll back unless committed, blob binding, errors that
// surface at step(), one statement per Statement, and the classification of result codes.
#include "sqlite.hpp"

#include <gtest/gtest.h>

#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::store::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_.path() / "t.db");
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(opened).value();
    test::exec_raw(db_, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  }
  std::int64_t rows() { return test::query_int(db_, "SELECT count(*) FROM t"); }
  Database& db() { return db_; }

 private:
  peerdist::test::TempDir dir_;
  Database db_;
};

TEST_F(SqliteTest, ATransactionRollsBackUnlessCommitted) {
  {
    auto transaction = Transaction::begin(db(), Transaction::Kind::immediate);
    ASSERT_TRUE(transaction);
    test::exec_raw(db(), "INSERT INTO t VALUES (1, x'00')");
    EXPECT_EQ(rows(), 1);
  }
  EXPECT_EQ(rows(), 0);
  {
    auto transaction = Transaction::begin(db(), Transaction::Kind::immediate);
    ASSERT_TRUE(transaction);
    test::exec_raw(db(), "INSERT INTO t VALUES (1, x'00')");
    ASSERT_TRUE(transaction->commit());
    // A second commit is a programming error reported as a value.
    EXPECT_EQ(transaction->commit().error().code, StoreErrc::closed);
  }
  EXPECT_EQ(rows(), 1);
}

TEST_F(SqliteTest, AMovedTransactionRollsBackOnce) {
  auto transaction = Transaction::begin(db(), Transaction::Kind::deferred);
  ASSERT_TRUE(transaction);
  test::exec_raw(db(), "INSERT INTO t VALUES (1, x'00')");
  Transaction moved = std::move(*transaction);
  ASSERT_TRUE(moved.commit());
  EXPECT_EQ(rows(), 1);
}

TEST_F(SqliteTest, BlobsRoundTripAndAnEmptyBlobIsNotNull) {
  auto insert = Statement::prepare(db(), "INSERT INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(insert);
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 255};
  insert->bind(1, std::int64_t{1}).bind(2, bytes);
  ASSERT_TRUE(insert->run());
  insert->reset();
  insert->bind(1, std::int64_t{2}).bind(2, std::span<const std::uint8_t>{});
  const auto empty_ok = insert->run();  // NOT NULL holds: the empty blob is a value
  ASSERT_TRUE(empty_ok) << empty_ok.error().message;

  auto select = Statement::prepare(db(), "SELECT v, v IS NULL FROM t ORDER BY k");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(std::vector<std::uint8_t>(select->column_blob(0).begin(), select->column_blob(0).end()),
            bytes);
  ASSERT_TRUE(*select->step());
  EXPECT_TRUE(select->column_blob(0).empty());
  EXPECT_EQ(select->column_int64(1), 0);
  EXPECT_FALSE(*select->step());
}

TEST_F(SqliteTest, ABindErrorIsReportedByTheNextStep) {
  auto insert = Statement::prepare(db(), "INSERT INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(insert);
  insert->bind(7, std::int64_t{1});  // no parameter 7
  auto stepped = insert->step();
  ASSERT_FALSE(stepped);
  EXPECT_NE(stepped.error().message.find("bind"), std::string::npos) << stepped.error().message;
  insert->reset();  // forgets the failed bind
  insert->bind(1, std::int64_t{1}).bind(2, std::vector<std::uint8_t>{1});
  EXPECT_TRUE(insert->run());
}

TEST_F(SqliteTest, PrepareRejectsBadSqlAndASecondStatement) {
  auto bad = Statement::prepare(db(), "SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
  auto two = Statement::prepare(db(), "SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, StoreErrc::database_error);
  EXPECT_TRUE(Statement::prepare(db(), "SELECT 1;  \n"));
}

TEST_F(SqliteTest, RunRefusesAStatementThatReturnsRows) {
  auto select = Statement::prepare(db(), "SELECT 1");
  ASSERT_TRUE(select);
  EXPECT_FALSE(select->run());
}

TEST_F(SqliteTest, AClosedDatabaseIsReportedNotUsed) {
  db().close();
  EXPECT_EQ(db().exec("SELECT 1").error().code, StoreErrc::closed);
  EXPECT_EQ(Statement::prepare(db(), "SELECT 1").error().code, StoreErrc::closed);
  EXPECT_EQ(Transaction::begin(db(), Transaction::Kind::deferred).error().code, StoreErrc::closed);
}

TEST(SqliteClassifyTest, ResultCodesMapToStoreErrors) {
  EXPECT_EQ(classify(SQLITE_CORRUPT), StoreErrc::corrupt);
  EXPECT_EQ(classify(SQLITE_NOTADB), StoreErrc::corrupt);
  EXPECT_EQ(classify(SQLITE_BUSY_SNAPSHOT), StoreErrc::busy);
  EXPECT_EQ(classify(SQLITE_FULL), StoreErrc::disk_full);
  EXPECT_EQ(classify(SQLITE_IOERR_FSYNC), StoreErrc::io_error);
  EXPECT_EQ(classify(SQLITE_READONLY), StoreErrc::io_error);
  EXPECT_EQ(classify(SQLITE_CANTOPEN), StoreErrc::cannot_open);
  EXPECT_EQ(classify(SQLITE_CONSTRAINT_UNIQUE), StoreErrc::database_error);
  const StoreError e = error(SQLITE_FULL, nullptr, "writing");
  EXPECT_EQ(e.code, StoreErrc::disk_full);
  EXPECT_EQ(e.message, "writing: database or disk is full (SQLite code 13)");
}

}  // namespace
}  // namespace peerdist::store::sqlite
