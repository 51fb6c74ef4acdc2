// FastCDC-style content-defined chunking for V2 segments; the algorithm, its parameters and its
// properties are described in docs/chunker.md. Everything here is part of the output format.
#include "peerdist/pccrc/chunker.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

#include "peerdist/pccrc/constants.hpp"

#include "gear_table.hpp"

namespace peerdist::pccrc {
namespace {

using detail::kGearTable;

// The gear hash is shifted left by one per byte, so a byte has left the 64-bit hash after 64
// more bytes: the hash at a position is a function of the 64 bytes ending there (the window).
// That is why hashing may start this many bytes before the first position that is tested.
constexpr std::size_t kWindow = 64;

// FastCDC's normalised chunking, level 2 (Xia et al., "The Design of Fast Content-Defined
// Chunking for Data Deduplication Based Storage Systems", TPDS 2020): before the target size a
// cut needs log2(target) + 2 zero bits (4x less likely than 1/target), after it only
// log2(target) - 2 (4x more likely). Level 2 is the paper's recommended trade-off: sizes
// cluster near the target and few segments hit the forced cut at max_size.
constexpr unsigned kNormalisationLevel = 2;

// The tested bits are the top ones: they mix all 64 bytes of the window (bit k only sees the
// last k + 1 bytes). "The top `bits` bits are zero" is the same as "hash <= all-ones >> bits",
// one compare per byte.
constexpr std::uint64_t cut_threshold(unsigned bits) noexcept {
  return bits >= 64 ? 0 : ~std::uint64_t{0} >> bits;
}

// Bytes per step of the scan. The obvious loop, h = 2h + G[byte], has one shift-add per byte on
// its critical path, and that LEA takes 2 cycles on current Intel cores (measured on Sapphire
// Rapids): 2 cycles per byte however it is unrolled. A step advances the hash by 4 bytes at once,
// h4 = 16h + (8g0 + 4g1 + 2g2 + g3), where the bracket does not depend on h, and the hashes at
// the 3 intermediate positions (needed for the tests) branch off the chain. The loop is then
// bound by execution ports instead, about 1.3 cycles per byte scanned (docs/chunker.md).
constexpr std::size_t kStep = 4;

// Rolls the hash over data[i, end) and returns the first position whose hash is at most
// `threshold`, or `end` when there is none. `h` carries the hash in and out.
[[gnu::always_inline]] inline std::size_t scan(const std::uint8_t* data, std::size_t i,
                                               std::size_t end, std::uint64_t& h,
                                               std::uint64_t threshold) noexcept {
  std::uint64_t x = h;
  // A down-counter keeps the loop test to one instruction (the bound would be re-derived from
  // `end - i` every step otherwise).
  for (std::size_t steps = (end - i) / kStep; steps != 0; --steps, i += kStep) {
    const std::uint64_t g0 = kGearTable[data[i]];
    const std::uint64_t g1 = kGearTable[data[i + 1]];
    const std::uint64_t g2 = kGearTable[data[i + 2]];
    const std::uint64_t g3 = kGearTable[data[i + 3]];
    const std::uint64_t t1 = (g0 << 1U) + g1;
    const std::uint64_t t2 = (t1 << 1U) + g2;
    const std::uint64_t t3 = (t2 << 1U) + g3;
    const std::uint64_t h0 = (x << 1U) + g0;
    const std::uint64_t h1 = (x << 2U) + t1;
    const std::uint64_t h2 = (x << 3U) + t2;
    const std::uint64_t h3 = (x << 4U) + t3;
    if (h0 <= threshold) {
      h = h0;
      return i;
    }
    if (h1 <= threshold) {
      h = h1;
      return i + 1;
    }
    if (h2 <= threshold) {
      h = h2;
      return i + 2;
    }
    if (h3 <= threshold) {
      h = h3;
      return i + 3;
    }
    x = h3;
  }
  for (; i < end; ++i) {
    x = (x << 1U) + kGearTable[data[i]];
    if (x <= threshold) break;
  }
  h = x;
  return i;
}

// Parameters outside what V2 allows are brought into range rather than rejected, so that
// next_segment() always honours 1 <= length <= 128 KiB.
ChunkerParameters sanitised(ChunkerParameters p) noexcept {
  p.max_size = std::clamp<std::uint32_t>(p.max_size, 1U, kV2MaxSegmentSize);
  p.min_size = std::clamp<std::uint32_t>(p.min_size, 1U, p.max_size);
  p.target_size = std::clamp(p.target_size, p.min_size, p.max_size);
  return p;
}

}  // namespace

Chunker::Chunker(ChunkerParameters parameters) : parameters_(sanitised(parameters)) {}

std::size_t Chunker::next_segment(std::span<const std::uint8_t> data, bool at_end) const noexcept {
  assert(at_end || data.size() >= parameters_.max_size);
  (void)at_end;  // the result depends only on the first max_size bytes; at_end is a contract
  const std::size_t min = parameters_.min_size;
  const std::size_t target = parameters_.target_size;
  const std::size_t limit = std::min<std::size_t>(data.size(), parameters_.max_size);
  if (limit <= min) return limit;

  const auto target_bits = static_cast<unsigned>(std::bit_width(target) - 1);
  const std::uint64_t strict = cut_threshold(target_bits + kNormalisationLevel);
  const std::uint64_t loose =
      cut_threshold(target_bits > kNormalisationLevel ? target_bits - kNormalisationLevel : 0U);

  // A cut after byte i gives a segment of i + 1 bytes; the first candidate is i = min - 1.
  // Bytes before min - kWindow cannot influence any tested hash, so they are never read: this
  // skip is where most of the speed comes from.
  const std::uint8_t* p = data.data();
  std::uint64_t h = 0;
  const std::size_t first = min - 1;
  for (std::size_t i = first >= kWindow - 1 ? first - (kWindow - 1) : 0; i < first; ++i) {
    h = (h << 1U) + kGearTable[p[i]];
  }
  const std::size_t normal_end = std::min(limit, target);  // lengths up to target: strict
  std::size_t i = scan(p, first, normal_end, h, strict);
  if (i < normal_end) return i + 1;
  i = scan(p, normal_end, limit, h, loose);
  return i < limit ? i + 1 : limit;
}

}  // namespace peerdist::pccrc
