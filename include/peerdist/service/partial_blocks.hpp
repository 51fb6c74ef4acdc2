// Blocks an application has added part of (AddData with pieces that do not fall on block
// boundaries): their bytes are kept until the rest arrives, then handed back whole for
// verification. Bounded: past `max_bytes` the least recently touched partial block is dropped
// (its bytes are lost; a later read reports them missing again), so a client adding scattered
// pieces cannot make the daemon hold unbounded memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace peerdist::service {

class PartialBlocks {
 public:
  explicit PartialBlocks(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Copies `piece`, which starts `at` bytes into block `ordinal` of `length` bytes (the piece
  // must lie inside it). Returns the whole block once every byte has come, and forgets it.
  // Later bytes overwrite earlier ones at the same place.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> add(std::uint64_t ordinal,
                                                             std::uint32_t length, std::uint32_t at,
                                                             std::span<const std::uint8_t> piece);
  // The block came whole in one piece: what was kept of it is not needed.
  void forget(std::uint64_t ordinal);
  void clear();

  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t blocks() const noexcept { return blocks_.size(); }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  struct Block {
    std::vector<std::uint8_t> bytes;
    std::map<std::uint32_t, std::uint32_t> have;  // [start, end), disjoint, not adjacent
    std::uint32_t have_bytes = 0;
    std::uint64_t touched = 0;
  };

  void bound(std::uint64_t keep);

  std::size_t max_bytes_;
  std::map<std::uint64_t, Block> blocks_;
  std::size_t bytes_ = 0;
  std::uint64_t next_touch_ = 1;
  std::uint64_t dropped_ = 0;
};

}  // namespace peerdist::service
