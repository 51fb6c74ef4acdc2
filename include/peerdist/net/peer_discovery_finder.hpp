// DiscoveryFinder: the peers of the branch that hold a segment, found with MS-PCCRD
// (DiscoveryProber), for PeerFetcher.
//
//   * Batching: the searches started in the same moment (the same turn of the executor: one
//     application read spans several segments, several reads come together) share one probe
//     round, one probe per ~10-25 segment IDs (A22) instead of one round each. Searches of v1
//     and v2 content go in probes of their own version (A21).
//   * Each ProbeMatch is reported the moment it arrives: PeerFetcher starts retrieval at the
//     first offer, not when the discovery window closes.
//   * A search for a segment already in a round in progress joins it (and hears the offers
//     that round has had so far) instead of probing again.
//   * Memory (SegmentPeerMemory): peers that offered a segment are offered again without a
//     probe for a minute; a segment nobody offered ends a search at once for 15 s.
//
// Threading: as DiscoveryProber (one single-threaded executor, the prober's).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>

#include "peerdist/net/discovery_prober.hpp"
#include "peerdist/net/peer_finder.hpp"

namespace peerdist::net {

struct DiscoveryFinderCounters {
  std::uint64_t searches = 0;           // find() calls
  std::uint64_t rounds = 0;             // probe rounds started
  std::uint64_t joined = 0;             // searches that joined a round in progress
  std::uint64_t remembered_peers = 0;   // searches answered from the memory of peers
  std::uint64_t remembered_nobody = 0;  // searches ended at once: nobody had it lately
  std::uint64_t candidates = 0;         // peers reported to searches
};

class DiscoveryFinder final : public PeerFinder {
 public:
  // `prober` outlives the finder; it is started (or not) by its owner: a prober that is not
  // running ends every round at once, so searches end with nobody.
  DiscoveryFinder(boost::asio::any_io_executor executor, DiscoveryProber& prober);
  // stop()
  ~DiscoveryFinder() override;
  DiscoveryFinder(const DiscoveryFinder&) = delete;
  DiscoveryFinder& operator=(const DiscoveryFinder&) = delete;

  [[nodiscard]] std::shared_ptr<PeerSearch> find(PeerQuery query, CandidateHandler on_candidate,
                                                 DoneHandler on_done) override;
  // Cancels the rounds in progress; their searches are not called any more, and later
  // searches end with nobody at once. Idempotent.
  void stop();

  [[nodiscard]] const DiscoveryFinderCounters& counters() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peerdist::net
