// The content-defined chunker that picks V2 segment boundaries.
//
// Windows' V2 chunker is not published (spec digest §5). Clients only ever read boundaries from
// the CI, so any deterministic chunker with 1 <= segment <= 128 KiB interoperates. Ours is
// documented in docs/chunker.md; its parameters are part of the output format: changing any of
// them changes every V2 segment ID this server publishes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace peerdist::pccrc {

struct ChunkerParameters {
  std::uint32_t min_size = 32U * 1024U;     // no cut before this many bytes
  std::uint32_t target_size = 64U * 1024U;  // the normalisation point
  std::uint32_t max_size = 128U * 1024U;    // forced cut (the V2 limit)
};

class Chunker {
 public:
  explicit Chunker(ChunkerParameters parameters = {});

  // Length of the segment that starts at data[0]. `data` must hold at least max_size bytes
  // unless `at_end` says it holds the rest of the content. Returns a value in
  // [1, min(data.size(), max_size)]; never 0 for non-empty data.
  [[nodiscard]] std::size_t next_segment(std::span<const std::uint8_t> data, bool at_end) const noexcept;

  [[nodiscard]] const ChunkerParameters& parameters() const noexcept { return parameters_; }

 private:
  ChunkerParameters parameters_;
};

}  // namespace peerdist::pccrc
