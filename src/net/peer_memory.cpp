#include "peerdist/net/peer_memory.hpp"

#include <algorithm>

namespace peerdist::net {

void SegmentPeerMemory::make_room(Clock::time_point now) {
  if (entries_.size() < kCapacity) return;
  std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (entries_.size() < kCapacity) return;
  auto soonest = std::min_element(
      entries_.begin(), entries_.end(),
      [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
  entries_.erase(soonest);
}

void SegmentPeerMemory::remember(const crypto::Digest& segment_id, const PeerCandidate& peer,
                                 Clock::time_point now) {
  auto it = entries_.find(segment_id);
  if (it == entries_.end()) {
    make_room(now);
    it = entries_.emplace(segment_id, Entry{}).first;
  } else if (it->second.expires <= now) {
    it->second.peers.clear();
  }
  Entry& entry = it->second;
  entry.expires = now + kPeersMemory;
  auto same = std::find_if(entry.peers.begin(), entry.peers.end(),
                           [&](const PeerCandidate& p) { return p.endpoint == peer.endpoint; });
  if (same != entry.peers.end()) {
    *same = peer;  // its latest offer (a v1 BlockCount grows as the peer fetches)
  } else {
    entry.peers.push_back(peer);
  }
}

void SegmentPeerMemory::remember_nobody(const crypto::Digest& segment_id, Clock::time_point now) {
  auto it = entries_.find(segment_id);
  if (it != entries_.end() && it->second.expires > now && !it->second.peers.empty()) return;
  if (it == entries_.end()) {
    make_room(now);
    it = entries_.emplace(segment_id, Entry{}).first;
  }
  it->second.peers.clear();
  it->second.expires = now + kNobodyMemory;
}

void SegmentPeerMemory::forget(const crypto::Digest& segment_id) {
  entries_.erase(segment_id);
}

SegmentPeerMemory::Recall SegmentPeerMemory::recall(const crypto::Digest& segment_id,
                                                    Clock::time_point now) const {
  auto it = entries_.find(segment_id);
  if (it == entries_.end() || it->second.expires <= now) return {};
  if (it->second.peers.empty()) return Recall{Known::nobody, {}};
  return Recall{Known::peers, it->second.peers};
}

}  // namespace peerdist::net
