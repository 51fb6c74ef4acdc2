// What the store tests share: real CIs made by the builder from deterministic content, new
// publications over them, and a raw SQLite view of a catalog file for what the API hides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/store/catalog.hpp"

#include "sqlite.hpp"

namespace peerdist::store::test {

using Bytes = std::vector<std::uint8_t>;

// A content's CIs of both versions, encoded and parsed.
struct PublishedContent {
  std::uint64_t length = 0;
  Bytes v1_bytes;
  Bytes v2_bytes;
  pccrc::ContentInformation v1;
  pccrc::ContentInformation v2;
};

// CIs of test::random_content(length, seed) under a fixed test secret, built on the calling
// thread (no worker threads: the crash test forks after building).
PublishedContent build_content(std::size_t length, std::uint64_t seed);

Bytes as_bytes(std::string_view text);

// A new publication of `content` with both CIs (the spans point into `content` and `content_id`).
NewPublication new_publication(std::uint32_t uid, const Bytes& content_id,
                               const PublishedContent& content, bool persistent = true);

// A second connection to a catalog file, as another process would have.
sqlite::Database open_raw(const std::filesystem::path& file);
// The single integer a query returns; fails the test (and returns -1) on error.
std::int64_t query_int(const sqlite::Database& db, std::string_view sql);
void exec_raw(const sqlite::Database& db, const char* sql);

}  // namespace peerdist::store::test
