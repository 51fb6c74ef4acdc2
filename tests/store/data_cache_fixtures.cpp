#include "data_cache_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/keys.hpp"

#include "support/test_data.hpp"

namespace peerdist::store::test {

CachedContent make_content(std::size_t length, std::uint64_t seed, pccrc::HashScheme scheme) {
  CachedContent out;
  out.bytes = peerdist::test::random_content(length, seed);
  pccrc::BuildOptions options;
  options.scheme = scheme;
  options.threads = 1;  // the crash test forks after building
  pccrc::ContentInformationBuilder builder(
      pccrc::ServerSecret(peerdist::test::random_content(32, 99)), options);
  builder.add(out.bytes);
  auto ci = builder.finish();
  if (!ci) {
    ADD_FAILURE() << "builder failed: " << ci.error().message();
    return out;
  }
  out.ci = std::move(ci).value();
  for (const pccrc::Segment& s : out.ci.segments) {
    out.segments.push_back(pccrc::describe_segment(out.ci, s));
  }
  return out;
}

Bytes CachedContent::block_bytes(std::size_t segment, std::uint32_t index) const {
  const pccrc::SegmentDescriptor& d = segments.at(segment);
  const std::size_t start =
      ci.segments.at(segment).offset + std::size_t{index} * std::size_t{d.block_size};
  const std::size_t length = d.block_length(pccrc::BlockIndex{index});
  const auto first = bytes.begin() + static_cast<std::ptrdiff_t>(start);
  return {first, first + static_cast<std::ptrdiff_t>(length)};
}

pccrc::VerifiedBlock CachedContent::block(std::size_t segment, std::uint32_t index) const {
  auto verified = pccrc::verify_block(segments.at(segment), pccrc::BlockIndex{index},
                                      block_bytes(segment, index));
  EXPECT_TRUE(verified.has_value()) << "segment " << segment << " block " << index;
  return std::move(verified).value();
}

std::vector<pccrc::VerifiedBlock> CachedContent::blocks_of(std::size_t segment) const {
  std::vector<pccrc::VerifiedBlock> out;
  for (std::uint32_t i = 0; i < segments.at(segment).block_count(); ++i) {
    out.push_back(block(segment, i));
  }
  return out;
}

std::vector<pccrc::VerifiedBlock> CachedContent::all_blocks() const {
  std::vector<pccrc::VerifiedBlock> out;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    for (auto& b : blocks_of(s)) out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::filesystem::path> segment_files(const std::filesystem::path& cache_dir) {
  std::vector<std::filesystem::path> out;
  const auto root = cache_dir / DataCache::kSegmentsDirName;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_directory()) out.push_back(std::filesystem::relative(it->path(), root));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::filesystem::path segment_file(const std::filesystem::path& cache_dir,
                                   const crypto::Digest& segment_id) {
  const std::string hex = segment_id.hex();
  return cache_dir / DataCache::kSegmentsDirName / hex.substr(0, 2) / (hex + ".seg");
}

ContentTag tag_of(std::uint8_t n) {
  ContentTag tag{};
  tag.fill(n);
  return tag;
}

}  // namespace peerdist::store::test
