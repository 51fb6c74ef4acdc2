// "Who may hold this segment?": where PeerFetcher learns which peers to ask for blocks. Two
// kinds, which a daemon may combine (CombinedFinder):
//
//   * DiscoveryFinder: MS-PCCRD probes of the branch (distributed mode), each ProbeMatch
//     reported the moment it arrives, so that retrieval starts at the first offer;
//   * StaticPeers: a configured list of MS-PCCRR endpoints, always offered (setups with a
//     hosted-cache-like server, networks without multicast, tests).
//
// A candidate is a hint, never a promise: the peer may have evicted the segment since, or hold
// only some blocks; PeerFetcher asks and verifies.
//
// Threading: a finder lives on one single-threaded executor (peerdistd's network thread);
// construct, call and destroy it there. Handlers run on that executor, never inside find().
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::net {

// One peer that may hold the segment asked about.
struct PeerCandidate {
  enum class Origin : std::uint8_t { configured, discovered };

  boost::asio::ip::tcp::endpoint endpoint;  // where it serves MS-PCCRR
  // MS-PCCRD v1: how many of the segment's blocks the peer holds (a peer holding fewer than
  // all is asked which ones first, MSG_GETBLKLIST). nullopt: not said (a configured peer, a v2
  // offer).
  std::optional<std::uint32_t> block_count;
  bool has_all = false;  // MS-PCCRD v2: the peer said it holds the whole segment
  Origin origin = Origin::discovered;

  friend bool operator==(const PeerCandidate&, const PeerCandidate&) = default;
};

struct PeerQuery {
  crypto::Digest segment_id;                    // HoHoDk
  pccrc::Version version = pccrc::Version::v1;  // of the content information (probe version)
};

// A search in progress. cancel() ends it: no handler is called after it.
class PeerSearch {
 public:
  virtual ~PeerSearch() = default;
  virtual void cancel() = 0;
};

class PeerFinder {
 public:
  using CandidateHandler = std::function<void(PeerCandidate candidate)>;
  using DoneHandler = std::function<void()>;

  virtual ~PeerFinder() = default;
  // on_candidate for each peer found (a peer at most once per search), then on_done once, when
  // no more will come.
  [[nodiscard]] virtual std::shared_ptr<PeerSearch> find(PeerQuery query,
                                                         CandidateHandler on_candidate,
                                                         DoneHandler on_done) = 0;
};

// Orders segment IDs (crypto::Digest has equality only) for the finders' maps: by size, then
// bytes.
struct SegmentIdLess {
  [[nodiscard]] bool operator()(const crypto::Digest& a, const crypto::Digest& b) const noexcept;
};

}  // namespace peerdist::net
