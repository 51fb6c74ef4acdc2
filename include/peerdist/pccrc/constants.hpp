// Fixed numbers of MS-PCCRC (spec digest: shared/spec/pccrc.md §3-§6).
#pragma once

#include <array>
#include <cstdint>

namespace peerdist::pccrc {

// V1 segmentation is fixed: 32 MiB segments of 64 KiB blocks (§5).
inline constexpr std::uint32_t kV1SegmentSize = 32U * 1024U * 1024U;
inline constexpr std::uint32_t kV1BlockSize = 64U * 1024U;
inline constexpr std::uint32_t kV1BlocksPerSegment = kV1SegmentSize / kV1BlockSize;

// V2 segments are content-defined, 1..128 KiB (§5).
inline constexpr std::uint32_t kV2MaxSegmentSize = 128U * 1024U;

// Version fields as they appear on the wire: V1 is the LE word 0x0100 (bytes 00 01), V2 is the
// byte pair bMinorVersion=0, bMajorVersion=2 (bytes 00 02).
inline constexpr std::uint16_t kV1Version = 0x0100;
inline constexpr std::uint8_t kV2MinorVersion = 0x00;
inline constexpr std::uint8_t kV2MajorVersion = 0x02;

// V1 dwHashAlgo: the Windows CryptoAPI ALG_IDs.
inline constexpr std::uint32_t kCalgSha256 = 0x0000800C;
inline constexpr std::uint32_t kCalgSha384 = 0x0000800D;
inline constexpr std::uint32_t kCalgSha512 = 0x0000800E;
// V2 bHashAlgo: SHA-512 truncated to 32 bytes, the only value.
inline constexpr std::uint8_t kV2HashAlgoSha512Trunc = 0x04;
inline constexpr std::size_t kV2HashSize = 32;
// V2 bChunkType: the only defined chunk type.
inline constexpr std::uint8_t kV2ChunkType = 0x00;

// Structure sizes (§3, §4).
inline constexpr std::size_t kV1HeaderSize = 18;
inline constexpr std::size_t kV2HeaderSize = 31;
inline constexpr std::size_t kV2ChunkHeaderSize = 5;
inline constexpr std::size_t kV2SegmentDescriptionSize = 4 + 2 * kV2HashSize;

// The HoHoDk constant C2: "MS_P2P_CACHING" with its NUL, in UTF-16LE. The spec text says ASCII;
// Windows uses UTF-16LE (spec digest §6, erratum 1; proven by the captured IIS vectors).
inline constexpr std::array<std::uint8_t, 30> kHoHoDkConstant = {
    'M', 0, 'S', 0, '_', 0, 'P', 0, '2', 0, 'P', 0, '_', 0, 'C', 0,
    'A', 0, 'C', 0, 'H', 0, 'I', 0, 'N', 0, 'G', 0, 0,   0};

}  // namespace peerdist::pccrc
