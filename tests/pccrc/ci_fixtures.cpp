#include "ci_fixtures.hpp"

#include <algorithm>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/keys.hpp"

namespace peerdist::test {

using pccrc::HashScheme;

namespace {

std::vector<std::uint8_t> as_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

}  // namespace

crypto::Digest made_up_hash(HashScheme scheme, const std::string& label) {
  return crypto::hash(scheme.algorithm, as_bytes(label)).truncated(scheme.hash_size());
}

crypto::Digest fixture_ks(HashScheme scheme) {
  return pccrc::ServerSecret(as_bytes("fixture secret")).ks(scheme);
}

pccrc::ContentInformation make_v1_whole(std::uint64_t content_length,
                                        crypto::HashAlgorithm algorithm) {
  pccrc::ContentInformation ci;
  ci.scheme = HashScheme{pccrc::Version::v1, algorithm};
  ci.range = {0, content_length};
  const crypto::Digest ks = fixture_ks(ci.scheme);
  for (std::uint64_t offset = 0; offset < content_length; offset += pccrc::kV1SegmentSize) {
    pccrc::Segment s;
    s.index = pccrc::SegmentIndex{offset / pccrc::kV1SegmentSize};
    s.offset = offset;
    s.length = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(pccrc::kV1SegmentSize, content_length - offset));
    crypto::Hasher list_hash(algorithm);
    for (std::uint32_t b = 0; b < pccrc::v1_blocks_in_segment(s.length); ++b) {
      s.block_hashes.push_back(made_up_hash(
          ci.scheme, "block " + std::to_string(s.index.value()) + "." + std::to_string(b)));
      list_hash.update(s.block_hashes.back().bytes());
    }
    s.hod = list_hash.finish();
    s.kp = pccrc::derive_kp(ci.scheme, ks, s.hod);
    ci.segments.push_back(std::move(s));
  }
  return ci;
}

pccrc::ContentInformation make_v2(const std::vector<std::uint32_t>& segment_lengths,
                                  std::uint64_t start_in_content, std::uint64_t first_index) {
  pccrc::ContentInformation ci;
  ci.scheme = HashScheme::v2();
  const crypto::Digest ks = fixture_ks(ci.scheme);
  std::uint64_t offset = start_in_content;
  for (std::size_t i = 0; i < segment_lengths.size(); ++i) {
    pccrc::Segment s;
    s.index = pccrc::SegmentIndex{first_index + i};
    s.offset = offset;
    s.length = segment_lengths[i];
    s.hod = made_up_hash(ci.scheme, "segment " + std::to_string(s.index.value()));
    s.kp = pccrc::derive_kp(ci.scheme, ks, s.hod);
    offset += s.length;
    ci.segments.push_back(std::move(s));
  }
  ci.range = {start_in_content, offset};
  return ci;
}

void put_le(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value,
            std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    bytes.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

void put_be(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value,
            std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    bytes.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * (size - 1 - i)));
  }
}

std::uint64_t get_le(const std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t i = size; i-- > 0;) v = (v << 8U) | bytes.at(offset + i);
  return v;
}

std::uint64_t get_be(const std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) v = (v << 8U) | bytes.at(offset + i);
  return v;
}

}  // namespace peerdist::test
