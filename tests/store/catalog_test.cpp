// The catalog's API: insert, find, read back, remove, count and list publications; the key
// (owner uid, content id); segment rows that match the CI; all-or-nothing inserts; moves.
#include "peerdist/store/catalog.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"

#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::store {
namespace {

using pccrc::Version;
using test::Bytes;

constexpr std::uint32_t kAlice = 1000;
constexpr std::uint32_t kBob = 1001;

// 3 MiB: one V1 segment, about 48 V2 segments. Built once per test program.
const test::PublishedContent& small_content() {
  static const test::PublishedContent content = test::build_content(3U << 20U, 1);
  return content;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    catalog_.reset();
    auto opened = Catalog::open(file());
    ASSERT_TRUE(opened) << opened.error().message;
    catalog_.emplace(std::move(opened).value());
  }
  [[nodiscard]] std::filesystem::path file() const { return dir_.path() / "catalog.db"; }
  Catalog& catalog() { return *catalog_; }

  PublicationId insert(std::uint32_t uid, const Bytes& content_id, bool persistent = true) {
    auto id = catalog().insert_publication(
        test::new_publication(uid, content_id, small_content(), persistent));
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : PublicationId{};
  }
  CatalogCounts counts() {
    auto c = catalog().counts();
    EXPECT_TRUE(c) << c.error().message;
    return c ? *c : CatalogCounts{};
  }
  std::optional<PublicationRecord> find(std::uint32_t uid, const Bytes& content_id) {
    auto found = catalog().find_publication(uid, content_id);
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::nullopt;
  }

  // Closes the fixture's catalog (a test that opens its own, or checks a closed file).
  void close() { catalog_.reset(); }

 private:
  peerdist::test::TempDir dir_;
  std::optional<Catalog> catalog_;
};

TEST_F(CatalogTest, InsertedPublicationIsFoundWithItsMetadataAndContentInformation) {
  const Bytes content_id = test::as_bytes("http://example.test/big.iso");
  NewPublication p = test::new_publication(kAlice, content_id, small_content(), true);
  p.created_at = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
  auto id = catalog().insert_publication(p);
  ASSERT_TRUE(id) << id.error().message;

  const auto record = find(kAlice, content_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, *id);
  EXPECT_EQ(record->owner_uid, kAlice);
  EXPECT_EQ(record->content_id, content_id);
  EXPECT_EQ(record->content_length, small_content().length);
  EXPECT_TRUE(record->persistent);
  EXPECT_EQ(record->created_at, *p.created_at);
  EXPECT_EQ(record->versions, (std::vector<Version>{Version::v1, Version::v2}));

  auto v1 = catalog().content_information(*id, Version::v1);
  auto v2 = catalog().content_information(*id, Version::v2);
  ASSERT_TRUE(v1 && v2);
  EXPECT_EQ(*v1, std::optional<Bytes>(small_content().v1_bytes));
  EXPECT_EQ(*v2, std::optional<Bytes>(small_content().v2_bytes));
}

TEST_F(CatalogTest, CreationTimeDefaultsToNow) {
  const auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  insert(kAlice, test::as_bytes("a"));
  const auto after = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto record = find(kAlice, test::as_bytes("a"));
  ASSERT_TRUE(record);
  EXPECT_GE(record->created_at, before);
  EXPECT_LE(record->created_at, after);
}

TEST_F(CatalogTest, OnlyTheVersionsGivenAreStored) {
  const Bytes content_id = test::as_bytes("v2 only");
  NewPublication p = test::new_publication(kAlice, content_id, small_content(), false);
  p.content_information = {{Version::v2, small_content().v2_bytes}};
  auto id = catalog().insert_publication(p);
  ASSERT_TRUE(id) << id.error().message;

  const auto record = find(kAlice, content_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->versions, std::vector<Version>{Version::v2});
  EXPECT_TRUE(record->has_version(Version::v2));
  EXPECT_FALSE(record->has_version(Version::v1));
  EXPECT_FALSE(record->persistent);
  auto v1 = catalog().content_information(*id, Version::v1);
  ASSERT_TRUE(v1);
  EXPECT_FALSE(v1->has_value());
}

TEST_F(CatalogTest, UnknownPublicationIsNotFound) {
  insert(kAlice, test::as_bytes("a"));
  EXPECT_FALSE(find(kAlice, test::as_bytes("b")));
  EXPECT_FALSE(find(kBob, test::as_bytes("a")));
  auto ci = catalog().content_information(PublicationId{12345}, Version::v1);
  ASSERT_TRUE(ci);
  EXPECT_FALSE(ci->has_value());
}

TEST_F(CatalogTest, SameKeyTwiceIsAlreadyExistsAndLeavesTheFirstAlone) {
  const Bytes content_id = test::as_bytes("dup");
  const PublicationId first = insert(kAlice, content_id, true);
  const CatalogCounts before = counts();

  NewPublication again = test::new_publication(kAlice, content_id, small_content(), false);
  again.content_information = {{Version::v2, small_content().v2_bytes}};
  auto second = catalog().insert_publication(again);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, StoreErrc::already_exists);
  EXPECT_EQ(second.error().error_code(), make_error_code(StoreErrc::already_exists));
  EXPECT_NE(second.error().message.find("1000"), std::string::npos) << second.error().message;

  EXPECT_EQ(counts(), before);
  const auto record = find(kAlice, content_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, first);
  EXPECT_TRUE(record->persistent);
}

TEST_F(CatalogTest, SameContentIdUnderTwoUsersIsTwoPublications) {
  const Bytes content_id = test::as_bytes("shared name");
  const PublicationId alice = insert(kAlice, content_id);
  const PublicationId bob = insert(kBob, content_id);
  EXPECT_NE(alice, bob);
  EXPECT_EQ(counts().publications, 2U);

  auto removed = catalog().remove_publication(kAlice, content_id);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(find(kAlice, content_id));
  const auto left = find(kBob, content_id);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->id, bob);
}

TEST_F(CatalogTest, ListShowsOneUsersPublicationsOldestFirst) {
  const PublicationId a = insert(kAlice, test::as_bytes("a"));
  insert(kBob, test::as_bytes("b"));
  const PublicationId c = insert(kAlice, test::as_bytes("c"));

  auto alice = catalog().list(kAlice);
  ASSERT_TRUE(alice) << alice.error().message;
  ASSERT_EQ(alice->size(), 2U);
  EXPECT_EQ((*alice)[0].id, a);
  EXPECT_EQ((*alice)[0].content_id, test::as_bytes("a"));
  EXPECT_EQ((*alice)[1].id, c);
  EXPECT_EQ((*alice)[1].versions, (std::vector<Version>{Version::v1, Version::v2}));
  EXPECT_EQ((*alice)[1], find(kAlice, test::as_bytes("c")));

  auto nobody = catalog().list(4242);
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->empty());
}

TEST_F(CatalogTest, RemoveTakesTheContentInformationAndSegmentRowsWithIt) {
  const Bytes content_id = test::as_bytes("gone");
  const PublicationId id = insert(kAlice, content_id);
  const crypto::Digest first_segment =
      small_content().v2.segment_id(small_content().v2.segments.front());

  auto removed = catalog().remove_publication(kAlice, content_id);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(find(kAlice, content_id));
  auto ci = catalog().content_information(id, Version::v1);
  ASSERT_TRUE(ci);
  EXPECT_FALSE(ci->has_value());
  auto segments = catalog().find_segments(first_segment.bytes());
  ASSERT_TRUE(segments);
  EXPECT_TRUE(segments->empty());
  EXPECT_EQ(counts(), CatalogCounts{});

  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM content_information"), 0);
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM segments"), 0);

  auto again = catalog().remove_publication(kAlice, content_id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(CatalogTest, RemoveNonPersistentKeepsThePersistentOnes) {
  insert(kAlice, test::as_bytes("keep 1"), true);
  insert(kAlice, test::as_bytes("drop 1"), false);
  insert(kBob, test::as_bytes("drop 2"), false);
  insert(kBob, test::as_bytes("keep 2"), true);
  insert(kBob, test::as_bytes("drop 3"), false);

  auto removed = catalog().remove_non_persistent();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 3U);
  const CatalogCounts c = counts();
  EXPECT_EQ(c.publications, 2U);
  EXPECT_EQ(c.persistent, 2U);
  EXPECT_TRUE(find(kAlice, test::as_bytes("keep 1")));
  EXPECT_TRUE(find(kBob, test::as_bytes("keep 2")));
  EXPECT_FALSE(find(kBob, test::as_bytes("drop 2")));

  auto none_left = catalog().remove_non_persistent();
  ASSERT_TRUE(none_left);
  EXPECT_EQ(*none_left, 0U);
}

TEST_F(CatalogTest, CountsAddUpTheStoredContentInformation) {
  EXPECT_EQ(counts(), CatalogCounts{});
  insert(kAlice, test::as_bytes("a"), true);
  const Bytes content_id = test::as_bytes("b");  // outlives the NewPublication that views it
  NewPublication v1_only = test::new_publication(kBob, content_id, small_content(), false);
  v1_only.content_information = {{Version::v1, small_content().v1_bytes}};
  ASSERT_TRUE(catalog().insert_publication(v1_only));

  const std::uint64_t ci_bytes =
      2 * small_content().v1_bytes.size() + small_content().v2_bytes.size();
  EXPECT_EQ(counts(), (CatalogCounts{2, 1, ci_bytes}));
}

TEST_F(CatalogTest, PublicationsSurviveCloseAndReopen) {
  const PublicationId id = insert(kAlice, test::as_bytes("durable"), true);
  insert(kBob, test::as_bytes("instance-bound"), false);
  reopen();

  const auto record = find(kAlice, test::as_bytes("durable"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, id);
  auto v2 = catalog().content_information(id, Version::v2);
  ASSERT_TRUE(v2);
  EXPECT_EQ(*v2, std::optional<Bytes>(small_content().v2_bytes));
  // The catalog itself drops nothing at open: the service calls remove_non_persistent().
  EXPECT_TRUE(find(kBob, test::as_bytes("instance-bound")));
}

TEST_F(CatalogTest, SegmentRowsMatchTheSegmentIdsOfTheContentInformation) {
  // Two V1 segments (32 MiB + 1 MiB) and about 530 V2 segments.
  const test::PublishedContent content =
      test::build_content(pccrc::kV1SegmentSize + (1U << 20U), 9);
  ASSERT_EQ(content.v1.segments.size(), 2U);
  const Bytes content_id = test::as_bytes("two segments");
  auto id = catalog().insert_publication(test::new_publication(kAlice, content_id, content));
  ASSERT_TRUE(id) << id.error().message;

  for (const auto* ci : {&content.v1, &content.v2}) {
    for (const pccrc::Segment& segment : ci->segments) {
      const crypto::Digest segment_id = ci->segment_id(segment);
      auto found = catalog().find_segments(segment_id.bytes());
      ASSERT_TRUE(found) << found.error().message;
      const SegmentLocation expected{*id, ci->version(), segment.index, segment.offset,
                                     segment.length};
      EXPECT_NE(std::find(found->begin(), found->end(), expected), found->end())
          << "segment " << segment.index.value() << " of version "
          << pccrc::to_string(ci->version());
    }
  }
  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM segments WHERE version = 1"), 2);
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM segments WHERE version = 2"),
            static_cast<std::int64_t>(content.v2.segments.size()));
}

TEST_F(CatalogTest, ASegmentPublishedTwiceIsFoundInBothPublications) {
  const PublicationId alice = insert(kAlice, test::as_bytes("x"));
  const PublicationId bob = insert(kBob, test::as_bytes("y"));
  const pccrc::Segment& segment = small_content().v2.segments.at(3);
  auto found = catalog().find_segments(small_content().v2.segment_id(segment).bytes());
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 2U);
  EXPECT_EQ((*found)[0],
            (SegmentLocation{alice, Version::v2, segment.index, segment.offset, segment.length}));
  EXPECT_EQ((*found)[1],
            (SegmentLocation{bob, Version::v2, segment.index, segment.offset, segment.length}));

  auto unknown = catalog().find_segments(Bytes(32, 0xAB));
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->empty());
}

TEST_F(CatalogTest, InvalidPublicationsAreRejectedAndLeaveNothing) {
  const Bytes good_id = test::as_bytes("id");
  const Bytes too_long(kMaxContentIdSize + 1, 'x');
  const Bytes empty_id;
  Bytes truncated_ci = small_content().v2_bytes;
  truncated_ci.resize(truncated_ci.size() - 1);

  struct Case {
    const char* what;
    NewPublication publication;
  };
  std::vector<Case> cases;
  const auto base = [&](const Bytes& id) {
    return test::new_publication(kAlice, id, small_content());
  };
  cases.push_back({"empty content id", base(empty_id)});
  cases.push_back({"content id over 64 KiB", base(too_long)});
  {
    NewPublication p = base(good_id);
    p.content_information[1].bytes = truncated_ci;
    cases.push_back({"CI that does not parse", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_information = {{Version::v1, small_content().v2_bytes}};
    cases.push_back({"V2 bytes given as version 1", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_information = {{Version::v2, small_content().v2_bytes},
                             {Version::v2, small_content().v2_bytes}};
    cases.push_back({"the same version twice", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_length = small_content().length + 1;
    cases.push_back({"CI of another length", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_information.clear();
    cases.push_back({"non-empty content without CI", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_length = 0;
    cases.push_back({"empty content with CI", p});
  }
  {
    NewPublication p = base(good_id);
    p.content_information[0].version = static_cast<Version>(3);
    cases.push_back({"unknown version", p});
  }
  for (const Case& c : cases) {
    auto inserted = catalog().insert_publication(c.publication);
    ASSERT_FALSE(inserted) << c.what;
    EXPECT_EQ(inserted.error().code, StoreErrc::invalid_argument)
        << c.what << ": " << inserted.error().message;
  }
  EXPECT_EQ(counts(), CatalogCounts{});
}

TEST_F(CatalogTest, LargestContentIdAndEmptyContentAreAccepted) {
  const Bytes largest(kMaxContentIdSize, 0xFE);
  ASSERT_TRUE(
      catalog().insert_publication(test::new_publication(kAlice, largest, small_content())));
  EXPECT_TRUE(find(kAlice, largest));

  NewPublication empty;
  empty.owner_uid = kAlice;
  const Bytes content_id = test::as_bytes("empty file");
  empty.content_id = content_id;
  auto id = catalog().insert_publication(empty);
  ASSERT_TRUE(id) << id.error().message;
  const auto record = find(kAlice, content_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->content_length, 0U);
  EXPECT_TRUE(record->versions.empty());
}

TEST_F(CatalogTest, AnInsertThatFailsHalfwayLeavesNothing) {
  // Make the 4th V2 segment row fail, after the publication, both CIs and some segment rows
  // are already written in the transaction.
  {
    const auto raw = test::open_raw(file());
    test::exec_raw(raw,
                   "CREATE TRIGGER fail_midway BEFORE INSERT ON segments "
                   "WHEN NEW.version = 2 AND NEW.segment_index = 3 "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  auto inserted = catalog().insert_publication(
      test::new_publication(kAlice, test::as_bytes("half"), small_content()));
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, StoreErrc::database_error);
  EXPECT_NE(inserted.error().message.find("injected failure"), std::string::npos)
      << inserted.error().message;

  EXPECT_FALSE(find(kAlice, test::as_bytes("half")));
  EXPECT_EQ(counts(), CatalogCounts{});
  const auto raw = test::open_raw(file());
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM segments"), 0);
  EXPECT_EQ(test::query_int(raw, "SELECT count(*) FROM content_information"), 0);
}

TEST_F(CatalogTest, AWriterWaitsForAnotherConnectionsLockThenReportsBusy) {
  close();
  auto opened = Catalog::open(file(), OpenOptions{.busy_timeout = std::chrono::milliseconds(20)});
  ASSERT_TRUE(opened) << opened.error().message;
  Catalog& impatient = *opened;

  auto other = test::open_raw(file());
  test::exec_raw(other, "BEGIN IMMEDIATE");
  auto blocked = impatient.insert_publication(
      test::new_publication(kAlice, test::as_bytes("a"), small_content()));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, StoreErrc::busy) << blocked.error().message;
  // WAL: a reader is not blocked by the writer.
  auto readable = impatient.counts();
  EXPECT_TRUE(readable) << readable.error().message;

  test::exec_raw(other, "ROLLBACK");
  auto inserted = impatient.insert_publication(
      test::new_publication(kAlice, test::as_bytes("a"), small_content()));
  EXPECT_TRUE(inserted) << inserted.error().message;
}

TEST_F(CatalogTest, MovedCatalogKeepsWorkingAndTheMovedFromOneSaysClosed) {
  insert(kAlice, test::as_bytes("a"));
  Catalog moved = std::move(catalog());
  auto found = moved.find_publication(kAlice, test::as_bytes("a"));
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->has_value());
  EXPECT_EQ(moved.file(), file());

  // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is what is tested.
  auto from_moved = catalog().counts();
  ASSERT_FALSE(from_moved);
  EXPECT_EQ(from_moved.error().code, StoreErrc::closed);
  EXPECT_EQ(
      catalog()
          .insert_publication(test::new_publication(kAlice, test::as_bytes("b"), small_content()))
          .error()
          .code,
      StoreErrc::closed);
  EXPECT_TRUE(catalog().file().empty());

  catalog() = std::move(moved);
  EXPECT_TRUE(find(kAlice, test::as_bytes("a")));
  // NOLINTEND(bugprone-use-after-move)
}

TEST_F(CatalogTest, StoredContentInformationIsReturnedAsStoredForCallersToValidate) {
  const PublicationId id = insert(kAlice, test::as_bytes("tampered"));
  {
    const auto raw = test::open_raw(file());
    test::exec_raw(raw, "UPDATE content_information SET bytes = x'0100' WHERE version = 2");
  }
  auto bytes = catalog().content_information(id, Version::v2);
  ASSERT_TRUE(bytes);
  ASSERT_TRUE(bytes->has_value());
  EXPECT_EQ(**bytes, (Bytes{0x01, 0x00}));
  EXPECT_FALSE(pccrc::parse(**bytes));
}

TEST_F(CatalogTest, TheFileIsPrivateToItsOwner) {
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
}

}  // namespace
}  // namespace peerdist::store
