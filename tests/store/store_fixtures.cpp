#include "store_fixtures.hpp"

#include <gtest/gtest.h>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/keys.hpp"

#include "support/test_data.hpp"

namespace peerdist::store::test {
namespace {

const pccrc::ServerSecret& test_secret() {
  static const pccrc::ServerSecret secret(peerdist::test::random_content(32, 77));
  return secret;
}

pccrc::ContentInformation build(const Bytes& content, pccrc::HashScheme scheme) {
  pccrc::BuildOptions options;
  options.scheme = scheme;
  options.threads = 1;
  pccrc::ContentInformationBuilder builder(test_secret(), options);
  builder.add(content);
  auto ci = builder.finish();
  if (!ci) {
    ADD_FAILURE() << "builder failed: " << ci.error().message();
    return {};
  }
  return std::move(ci).value();
}

}  // namespace

PublishedContent build_content(std::size_t length, std::uint64_t seed) {
  const Bytes content = peerdist::test::random_content(length, seed);
  PublishedContent out;
  out.length = length;
  out.v1 = build(content, pccrc::HashScheme{});
  out.v2 = build(content, pccrc::HashScheme::v2());
  out.v1_bytes = pccrc::encode(out.v1);
  out.v2_bytes = pccrc::encode(out.v2);
  return out;
}

Bytes as_bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

NewPublication new_publication(std::uint32_t uid, const Bytes& content_id,
                               const PublishedContent& content, bool persistent) {
  NewPublication p;
  p.owner_uid = uid;
  p.content_id = content_id;
  p.content_length = content.length;
  p.persistent = persistent;
  p.content_information = {{pccrc::Version::v1, content.v1_bytes},
                           {pccrc::Version::v2, content.v2_bytes}};
  return p;
}

sqlite::Database open_raw(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  if (!db) {
    ADD_FAILURE() << db.error().message;
    return {};
  }
  sqlite3_busy_timeout(db->get(), 5000);
  return std::move(db).value();
}

std::int64_t query_int(const sqlite::Database& db, std::string_view sql) {
  auto statement = sqlite::Statement::prepare(db, sql);
  if (!statement) {
    ADD_FAILURE() << sql << ": " << statement.error().message;
    return -1;
  }
  auto row = statement->step();
  if (!row || !*row) {
    ADD_FAILURE() << sql << ": " << (row ? std::string("no row") : row.error().message);
    return -1;
  }
  return statement->column_int64(0);
}

void exec_raw(const sqlite::Database& db, const char* sql) {
  auto done = db.exec(sql);
  if (!done) ADD_FAILURE() << sql << ": " << done.error().message;
}

}  // namespace peerdist::store::test
