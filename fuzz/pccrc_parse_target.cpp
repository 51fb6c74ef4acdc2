#include "pccrc_parse_target.hpp"

#include <algorithm>
#include <span>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/errc.hpp"
#include "peerdist/pccrc/range.hpp"

namespace {

using peerdist::pccrc::ByteRange;
using peerdist::pccrc::ContentInformation;

// FNV-1a: the sub-range to slice is a function of the whole input, so a crash reproduces from
// the input file alone.
std::uint64_t fnv1a(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

ByteRange pick_sub_range(ByteRange within, std::uint64_t seed) {
  const std::uint64_t start = within.start + seed % within.length();
  const std::uint64_t rest = within.end - start;  // >= 1
  const std::uint64_t mixed = (seed ^ (seed >> 29U)) * 0xbf58476d1ce4e5b9ULL;
  return {start, start + 1 + mixed % rest};
}

std::optional<std::string> check_model(const ContentInformation& ci) {
  if (ci.segments.empty()) return "accepted a CI without segments";
  if (ci.range.empty()) return "accepted a CI with an empty range";
  if (ci.range.start < ci.segments.front().offset || ci.range.start >= ci.segments.front().end() ||
      ci.range.end <= ci.segments.back().offset || ci.range.end > ci.segments.back().end()) {
    return "range does not start in the first and end in the last listed segment";
  }
  for (const auto& segment : ci.segments) {
    for (const auto& block : ci.blocks(segment)) {
      if (block.length == 0 || block.offset < segment.offset ||
          block.offset + block.length > segment.end()) {
        return "a listed block lies outside its segment";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_slice(const ContentInformation& ci, ByteRange range) {
  auto sliced = peerdist::pccrc::slice(ci, range);
  if (!sliced) {
    if (sliced.error() != make_error_code(peerdist::pccrc::Errc::range_out_of_bounds)) {
      return "slice failed with an unexpected error: " + sliced.error().message();
    }
    // The only excuse inside the CI's range: a V1 list that starts after block 0, where the
    // sliced lists must start.
    for (const auto& segment : ci.segments) {
      if (segment.first_listed_block.value() != 0) return std::nullopt;
    }
    return "slice refused a range inside the CI's range";
  }
  if (sliced->range != range) return "slice describes a different range than asked";
  const auto bytes = encode(*sliced);
  auto reparsed = peerdist::pccrc::parse(bytes);
  if (!reparsed) return "slice does not parse: " + reparsed.error().message();
  if (!(*reparsed == *sliced)) return "slice parses to a different model";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_pccrc_parse(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  auto ci = peerdist::pccrc::parse(input);
  if (!ci) {
    if (ci.error().offset > size) return "error offset past the input: " + ci.error().message();
    if (ci.error().field.empty()) return "error names no field: " + ci.error().message();
    return std::nullopt;
  }
  const auto encoded = encode(*ci);
  if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end())) {
    return "re-encoding differs from the input";
  }
  if (auto failure = check_model(*ci)) return failure;
  if (auto failure = check_slice(*ci, pick_sub_range(ci->range, fnv1a(input)))) return failure;
  // Slicing to the CI's own range must work too (V2 returns the CI unchanged).
  return check_slice(*ci, ci->range);
}
