// What the serving side of the network asks about this machine's cache: the MS-PCCRR server
// ("which blocks of segment X do you hold?", "block i of X, please") and the MS-PCCRD
// responder ("do you hold any of these segments, how much, since when?"). The service answers
// from its data cache on the cache thread and calls back on the network executor; the network
// code never opens a cache file itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::net {

// What this machine holds of one segment.
struct SegmentHoldings {
  std::uint32_t block_count = 0;    // blocks of the segment (V2: 1)
  std::vector<bool> present;        // per block
  std::uint32_t present_count = 0;  // MS-PCCRD v1 BlockCount
  std::chrono::seconds age{};       // since the segment first entered the cache (v2 ages)

  [[nodiscard]] bool any() const noexcept { return present_count > 0; }
  [[nodiscard]] bool complete() const noexcept {
    return block_count > 0 && present_count == block_count;
  }
};

// One block to serve, with what MS-PCCRR needs to encrypt it.
struct ServedBlock {
  std::vector<std::uint8_t> bytes;  // plaintext, verified when it entered the cache
  crypto::Digest kp;                // the segment secret (AES key material, Ke = Kp)
  std::optional<pccrc::BlockIndex> next_present;  // MSG_BLK NextBlockIndex (none: 0)
};

class SegmentSource {
 public:
  using HoldingsHandler = std::function<void(std::vector<std::optional<SegmentHoldings>>)>;
  using BlockHandler = std::function<void(std::optional<ServedBlock>)>;

  virtual ~SegmentSource() = default;
  // One answer per segment ID, in order; nullopt for a segment not held at all.
  virtual void holdings(std::vector<crypto::Digest> segment_ids, HoldingsHandler handler) = 0;
  // The block, or nullopt when it is not held.
  virtual void read_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                          BlockHandler handler) = 0;
};

}  // namespace peerdist::net
