// Serialisation of content information (spec digest §3 for V1, §4 for V2).
#include <cassert>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/util/byte_writer.hpp"

namespace peerdist::pccrc {
namespace {

std::uint32_t v1_hash_algo(crypto::HashAlgorithm a) {
  switch (a) {
    case crypto::HashAlgorithm::sha256: return kCalgSha256;
    case crypto::HashAlgorithm::sha384: return kCalgSha384;
    case crypto::HashAlgorithm::sha512: return kCalgSha512;
  }
  return 0;
}

std::vector<std::uint8_t> encode_v1(const ContentInformation& ci) {
  const std::size_t h = ci.hash_size();
  std::size_t size = kV1HeaderSize + ci.segments.size() * (16 + 2 * h);
  for (const auto& s : ci.segments) size += 4 + s.block_hashes.size() * h;

  util::ByteWriter w(size);
  w.u16le(kV1Version);                                        // Version
  w.u32le(v1_hash_algo(ci.scheme.algorithm));                 // dwHashAlgo
  w.u32le(ci.offset_in_first_segment());                      // dwOffsetInFirstSegment
  w.u32le(ci.v1.read_bytes_in_last_segment);                  // dwReadBytesInLastSegment
  w.u32le(static_cast<std::uint32_t>(ci.segments.size()));    // cSegments
  for (const auto& s : ci.segments) {                         // SegmentDescription[]
    w.u64le(s.offset);                                        //   ullOffsetInContent
    w.u32le(s.length);                                        //   cbSegment
    w.u32le(kV1BlockSize);                                    //   cbBlockSize
    w.bytes(s.hod.bytes());                                   //   SegmentHashOfData
    w.bytes(s.kp.bytes());                                    //   SegmentSecret
  }
  for (const auto& s : ci.segments) {                         // SegmentContentBlocks[]
    w.u32le(static_cast<std::uint32_t>(s.block_hashes.size()));  // cBlocks
    for (const auto& b : s.block_hashes) w.bytes(b.bytes());     // BlockHashes
  }
  assert(w.size() == size);
  return std::move(w).take();
}

void encode_v2_segment(util::ByteWriter& w, const Segment& s) {
  w.u32be(s.length);         // cbSegment
  w.bytes(s.hod.bytes());    // SegmentHashOfData
  w.bytes(s.kp.bytes());     // SegmentSecret
}

std::vector<std::uint8_t> encode_v2(const ContentInformation& ci) {
  std::vector<std::uint32_t> chunks = ci.v2.segments_per_chunk;
  if (chunks.empty()) chunks.push_back(static_cast<std::uint32_t>(ci.segments.size()));

  util::ByteWriter w(kV2HeaderSize + chunks.size() * kV2ChunkHeaderSize +
                     ci.segments.size() * kV2SegmentDescriptionSize);
  const Segment& first = ci.segments.front();
  w.u8(kV2MinorVersion);                  // bMinorVersion
  w.u8(kV2MajorVersion);                  // bMajorVersion
  w.u8(kV2HashAlgoSha512Trunc);           // bHashAlgo
  w.u64be(first.offset);                  // ullStartInContent
  w.u64be(first.index.value());           // ullIndexOfFirstSegment
  w.u32be(ci.offset_in_first_segment());  // dwOffsetInFirstSegment
  w.u64be(ci.v2.length_of_range);         // ullLengthOfRange
  std::size_t next = 0;
  for (const std::uint32_t count : chunks) {            // ChunkDescription[]
    w.u8(kV2ChunkType);                                 //   bChunkType
    w.u32be(static_cast<std::uint32_t>(count * kV2SegmentDescriptionSize));  // dwChunkDataLength
    for (std::uint32_t i = 0; i < count && next < ci.segments.size(); ++i) {
      encode_v2_segment(w, ci.segments[next++]);        //   SegmentDescription[]
    }
  }
  assert(next == ci.segments.size());
  return std::move(w).take();
}

}  // namespace

std::vector<std::uint8_t> encode(const ContentInformation& ci) {
  if (ci.segments.empty()) return {};
  return ci.version() == Version::v1 ? encode_v1(ci) : encode_v2(ci);
}

}  // namespace peerdist::pccrc
