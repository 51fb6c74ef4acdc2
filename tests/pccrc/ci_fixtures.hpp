// Content information models with made-up but consistent hashes, for tests that need CIs the
// vectors do not have (many segments, odd offsets) and for patching fields of encoded CIs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"

namespace peerdist::test {

// A stand-in hash of the scheme's size: H(label) (V2: truncated to 32 bytes).
crypto::Digest made_up_hash(pccrc::HashScheme scheme, const std::string& label);

// Ks every fixture uses for Kp.
crypto::Digest fixture_ks(pccrc::HashScheme scheme);

// A whole-content V1 CI for `content_length` bytes: 32 MiB segments, every block listed, made-up
// block hashes, HoD = H(block hashes), Kp = HMAC(fixture_ks, HoD), dwReadBytesInLastSegment 0.
pccrc::ContentInformation make_v1_whole(
    std::uint64_t content_length, crypto::HashAlgorithm algorithm = crypto::HashAlgorithm::sha256);

// A whole-range V2 CI listing segments of the given lengths from `start_in_content`, the first
// having index `first_index`; made-up HoDs, ullLengthOfRange 0, one chunk.
pccrc::ContentInformation make_v2(const std::vector<std::uint32_t>& segment_lengths,
                                  std::uint64_t start_in_content = 0,
                                  std::uint64_t first_index = 0);

// Overwrite an integer field of an encoded CI (V1 is little-endian, V2 big-endian).
void put_le(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value,
            std::size_t size);
void put_be(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value,
            std::size_t size);
std::uint64_t get_le(const std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t size);
std::uint64_t get_be(const std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t size);

}  // namespace peerdist::test
