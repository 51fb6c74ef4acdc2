// What discovery learnt lately, per segment (MS-CCRSO §5.1.2.2): the peers that offered a
// segment are remembered for kPeersMemory, so that the next read of it (the application reads
// a segment in many pieces) asks them at once instead of multicasting again and waiting for
// the window; "nobody offered it" is remembered for the shorter kNobodyMemory, so that a
// segment no branch machine has does not cost a discovery round per read, yet one a peer has
// just fetched from the origin is found again soon.
//
// Bounded: at most kCapacity segments; past it the entry closest to expiry goes.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/net/peer_finder.hpp"

namespace peerdist::net {

class SegmentPeerMemory {
 public:
  using Clock = std::chrono::steady_clock;

  // MS-CCRSO §5.1.2.2's figures (spec digest §4.3): 1 min for the responders of a segment,
  // 15 s for a segment nobody had.
  static constexpr std::chrono::seconds kPeersMemory{60};
  static constexpr std::chrono::seconds kNobodyMemory{15};
  // A read of 1 GiB of V1 content touches 32 segments, of V2 ~16,000; a few thousand entries of
  // a few hundred bytes each cover what a machine reads in a minute.
  static constexpr std::size_t kCapacity = 4096;

  enum class Known : std::uint8_t {
    unknown,  // nothing remembered (or it expired): ask the branch
    nobody,   // a recent round found nobody
    peers,    // these peers offered it lately
  };
  struct Recall {
    Known known = Known::unknown;
    std::vector<PeerCandidate> peers;
  };

  // A peer offered the segment: remembered (or refreshed) for kPeersMemory.
  void remember(const crypto::Digest& segment_id, const PeerCandidate& peer, Clock::time_point now);
  // A round ended with no offer for the segment: remembered for kNobodyMemory (unless peers
  // are remembered for it, which a round of another search may have found meanwhile).
  void remember_nobody(const crypto::Digest& segment_id, Clock::time_point now);
  // Forgets the segment (its peers turned out not to have it).
  void forget(const crypto::Digest& segment_id);

  [[nodiscard]] Recall recall(const crypto::Digest& segment_id, Clock::time_point now) const;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    Clock::time_point expires;
    std::vector<PeerCandidate> peers;  // empty: nobody
  };
  void make_room(Clock::time_point now);

  std::map<crypto::Digest, Entry, SegmentIdLess> entries_;
};

}  // namespace peerdist::net
