// Where the service gets blocks its own cache lacks: the peers of the branch (distributed
// mode: found by MS-PCCRD discovery, retrieved with MS-PCCRR). The service asks for blocks of
// one segment with a deadline; the source hands back each block as it arrives, already
// decrypted and verified, and then says once how the fetch ended.
//
// peerdistd plugs in net::PeerFetcher (discovery + retrieval); with distributed mode off it
// uses NoPeers; tests plug in fakes. The service never sees sockets, the network code never
// touches the cache (the service stores what it is given).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::net {

enum class FetchOutcome {
  complete,   // every requested block was handed over
  not_found,  // no reachable peer had some of the blocks (those were not handed over)
  timed_out,  // the deadline passed first
  cancelled,  // Fetch::cancel() was called
};

// One fetch in progress. Dropping the last reference does not cancel it; cancel() does, and
// then neither handler is called any more (not even with FetchOutcome::cancelled).
class Fetch {
 public:
  virtual ~Fetch() = default;
  virtual void cancel() = 0;
};

struct FetchRequest {
  pccrc::SegmentDescriptor segment;
  std::vector<pccrc::BlockIndex> blocks;  // ascending, no duplicates, each known to segment
  std::chrono::steady_clock::time_point deadline;
};

class PeerSource {
 public:
  // Each verified block, in any order, on the executor the source was made with.
  using BlockHandler = std::function<void(pccrc::VerifiedBlock block)>;
  // Exactly once (unless cancelled), after the last block handler call.
  using DoneHandler = std::function<void(FetchOutcome outcome)>;

  virtual ~PeerSource() = default;
  [[nodiscard]] virtual std::shared_ptr<Fetch> fetch(FetchRequest request, BlockHandler on_block,
                                                     DoneHandler on_done) = 0;
};

}  // namespace peerdist::net
