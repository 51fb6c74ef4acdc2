// The data cache as the serving side of the network sees it (net::SegmentSource): what the
// PCCRR server and the PCCRD responder ask, answered from the DataCache on the cache thread and
// from the blocks put and not yet committed (CacheFront::pending()), back on the network thread.
//
//   * holdings: per segment ID, the present blocks (bitmap and count) and the age since the
//     segment first entered the cache (v2 segment ages); nullopt for a segment not described,
//     or described with no block present (nothing to offer).
//   * read_block: the bytes (verified when they entered the cache), Kp, and the next present
//     block after it (MSG_BLK NextBlockIndex).
//
// A store error is logged and answered as "not held": a peer then asks elsewhere.
//
// Threading: call on the network thread (CacheFront's); handlers run there, never inside the
// call. The source may be destroyed with answers outstanding: they are then dropped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "peerdist/net/segment_source.hpp"
#include "peerdist/service/cache_front.hpp"

namespace peerdist::service {

struct CacheSegmentSourceCounters {
  std::uint64_t holdings_queries = 0;  // holdings() calls
  std::uint64_t segments_held = 0;     // ... segments answered held
  std::uint64_t block_reads = 0;       // read_block() calls
  std::uint64_t blocks_served = 0;     // ... answered with a block
  std::uint64_t errors = 0;            // store errors (answered "not held")
};

class CacheSegmentSource final : public net::SegmentSource {
 public:
  using SystemClock = std::function<std::chrono::sys_seconds()>;

  // Answers on `executor` (the network thread). `cache` null: no data cache, nothing is held.
  // `clock`, which ages are measured against (the DataCache's clock in tests): the system
  // clock when empty.
  CacheSegmentSource(boost::asio::any_io_executor executor, std::shared_ptr<CacheFront> cache,
                     SystemClock clock = {});
  ~CacheSegmentSource() override;
  CacheSegmentSource(const CacheSegmentSource&) = delete;
  CacheSegmentSource& operator=(const CacheSegmentSource&) = delete;

  void holdings(std::vector<crypto::Digest> segment_ids, HoldingsHandler handler) override;
  void read_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                  BlockHandler handler) override;

  [[nodiscard]] const CacheSegmentSourceCounters& counters() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace peerdist::service
