// PeerFetcher: the PeerSource of distributed mode. For each fetch it asks a PeerFinder who may
// hold the segment and retrieves the wanted blocks from those peers with MS-PCCRR (PccrrClient),
// handing each verified block over as it arrives (spec digest §1.10, §4.3).
//
//   * Retrieval starts at the first candidate: the discovery window is not waited for (the
//     first block's latency is what an application reading a file feels).
//   * Several blocks are in flight at once (kDefaultMaxBlocksInFlight), spread over the peers
//     that offered the segment (the one with the fewest requests in flight first), at most
//     kDefaultMaxBlocksInFlightPerPeer to one peer: the PCCRR client's connections to it.
//   * A v1 peer that said it holds only some of the segment's blocks (MS-PCCRD BlockCount below
//     the block count) is asked which ones with MSG_GETBLKLIST first, when kBlockListThreshold
//     or more blocks are wanted from it (§1.10, note <12>); with fewer, GETBLKS directly.
//   * Per block: not_held → the next peer; timed_out, connection_failed, malformed,
//     version_mismatch → the next peer, and that peer is not asked again in this fetch (it is
//     unreachable or speaks no PCCRR we understand: each further block would cost a request
//     timer); bad_data → the next peer, and that peer is not asked again by any fetch for
//     PeerPenalties::kBadPeerTime (logged once, counted).
//   * A block no peer is left to ask for is given up; once nothing is in flight any more and
//     the finder is done, a fetch with given-up blocks ends not_found (its other blocks were
//     handed over). No waiting for the deadline.
//   * The deadline ends a fetch timed_out. Exchanges in flight then run out on their own
//     request timers (the PCCRR client has no per-exchange cancel); their answers are dropped.
//   * cancel() stops the fetch; no handler is called after it.
//
// Threading: one single-threaded executor (peerdistd's network thread), the one the client and
// the finder use; construct, call (fetch, cancel, stop) and destroy there. Handlers run on it,
// never inside fetch().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/net/peer_finder.hpp"
#include "peerdist/net/peer_source.hpp"

namespace peerdist::net {

struct PeerFetcherOptions {
  // Blocks requested at once by one fetch. A V1 block is 64 KiB: eight in flight cover the
  // bandwidth-delay product of a gigabit LAN with a millisecond of latency several times over,
  // and keep up to two peers busy at the per-peer limit, while one read cannot take every
  // upload slot of a branch.
  static constexpr std::size_t kDefaultMaxBlocksInFlight = 8;
  // Requests to one peer at once: the PCCRR client's connections per peer, so that no request
  // waits in its queue (a queued request's wait counts against the deadline, not the request
  // timer).
  static constexpr std::size_t kDefaultMaxBlocksInFlightPerPeer =
      PccrrClientOptions::kDefaultConnectionsPerPeer;
  // MSG_GETBLKLIST before the blocks when at least this many are wanted from a v1 peer holding
  // part of the segment: Windows' "simple download" threshold (spec digest §1.10, note <12>).
  static constexpr std::size_t kBlockListThreshold = 4;

  std::size_t max_blocks_in_flight = kDefaultMaxBlocksInFlight;                  // at least 1
  std::size_t max_blocks_in_flight_per_peer = kDefaultMaxBlocksInFlightPerPeer;  // at least 1
};

// The PCCRR client's exchanges, as the fetcher saw them end (`peerdist status`, "client").
struct PeerExchangeCounters {
  std::uint64_t block_requests = 0;       // MSG_GETBLKS sent
  std::uint64_t block_list_requests = 0;  // MSG_GETBLKLIST sent
  std::uint64_t blocks = 0;               // verified blocks received
  std::uint64_t not_held = 0;             // empty MSG_BLK
  std::uint64_t timed_out = 0;            // request timer or deadline
  std::uint64_t connection_failed = 0;
  std::uint64_t bad_data = 0;  // blocks failing their hash, replies not matching the request
  std::uint64_t malformed = 0;
  std::uint64_t version_mismatch = 0;
};

// What the fetcher did (`peerdist status`, "fetcher").
struct PeerFetcherCounters {
  std::uint64_t fetches = 0;     // fetch() calls
  std::uint64_t complete = 0;    // ... ended complete
  std::uint64_t not_found = 0;   // ... ended not_found
  std::uint64_t timed_out = 0;   // ... ended timed_out
  std::uint64_t cancelled = 0;   // ... cancelled
  std::uint64_t no_peers = 0;    // not_found without a single candidate
  std::uint64_t candidates = 0;  // peers the finder offered
  std::uint64_t blocks = 0;      // verified blocks handed over
  std::uint64_t bytes = 0;       // their bytes
  std::uint64_t retries = 0;     // block requests after a failed one for the same block
  std::uint64_t bad_peers = 0;   // peers newly set aside for bad data
  PeerExchangeCounters exchanges;
};

class PeerFetcher final : public PeerSource {
 public:
  PeerFetcher(boost::asio::any_io_executor executor, std::shared_ptr<PccrrClient> client,
              std::shared_ptr<PeerFinder> finder, PeerFetcherOptions options = {});
  // stop()
  ~PeerFetcher() override;
  PeerFetcher(const PeerFetcher&) = delete;
  PeerFetcher& operator=(const PeerFetcher&) = delete;

  [[nodiscard]] std::shared_ptr<Fetch> fetch(FetchRequest request, BlockHandler on_block,
                                             DoneHandler on_done) override;

  // The daemon is stopping: every fetch in progress ends not_found now (its on_done is called
  // from within stop()), later fetches end not_found at once, and the client and the finder
  // are released (the client closes its connections when its owner lets it go). Idempotent.
  void stop();

  [[nodiscard]] PeerFetcherCounters counters() const noexcept;
  // Fetches in progress.
  [[nodiscard]] std::size_t active() const noexcept;
  // Peers set aside for bad data now.
  [[nodiscard]] std::size_t bad_peers_now() const;

 private:
  struct Impl;
  class Job;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peerdist::net
