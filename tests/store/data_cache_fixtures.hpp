// What the data cache tests share: contents with their CI, segment descriptors and verified
// blocks, a clock the tests move by hand, and raw access to a cache's files.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/store/data_cache.hpp"

namespace peerdist::store::test {

using Bytes = std::vector<std::uint8_t>;

// test::random_content(length, seed) with its CI (built on the calling thread) and the
// descriptor of every segment.
struct CachedContent {
  Bytes bytes;
  pccrc::ContentInformation ci;
  std::vector<pccrc::SegmentDescriptor> segments;

  [[nodiscard]] const crypto::Digest& id(std::size_t segment) const {
    return segments.at(segment).segment_id;
  }
  // The bytes of block `index` of segment `segment`.
  [[nodiscard]] Bytes block_bytes(std::size_t segment, std::uint32_t index) const;
  // That block, verified against its descriptor (fails the test if it does not verify).
  [[nodiscard]] pccrc::VerifiedBlock block(std::size_t segment, std::uint32_t index) const;
  // Every block of one segment, or of every segment.
  [[nodiscard]] std::vector<pccrc::VerifiedBlock> blocks_of(std::size_t segment) const;
  [[nodiscard]] std::vector<pccrc::VerifiedBlock> all_blocks() const;
};

CachedContent make_content(std::size_t length, std::uint64_t seed,
                           pccrc::HashScheme scheme = pccrc::HashScheme{});

// A clock shared by a test and the DataCache it opens (DataCacheOptions::clock).
class ManualClock {
 public:
  ManualClock()
      : now_(std::make_shared<std::chrono::sys_seconds>(
            std::chrono::sys_days{std::chrono::year{2024} / 9 / 17})) {}
  [[nodiscard]] std::chrono::sys_seconds now() const { return *now_; }
  void advance(std::chrono::seconds by) { *now_ += by; }
  [[nodiscard]] DataCacheOptions options() const {
    DataCacheOptions o;
    o.clock = [now = now_] { return *now; };
    return o;
  }

 private:
  std::shared_ptr<std::chrono::sys_seconds> now_;
};

// The files under a cache's segments directory, relative to it, sorted.
std::vector<std::filesystem::path> segment_files(const std::filesystem::path& cache_dir);
// <cache>/segments/<xx>/<hex>.seg
std::filesystem::path segment_file(const std::filesystem::path& cache_dir,
                                   const crypto::Digest& segment_id);

ContentTag tag_of(std::uint8_t n);

}  // namespace peerdist::store::test
