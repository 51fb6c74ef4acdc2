#include "peerdist/net/peer_penalties.hpp"

#include <algorithm>

namespace peerdist::net {

bool PeerPenalties::mark_bad(const boost::asio::ip::tcp::endpoint& peer, Clock::time_point now) {
  if (auto it = until_.find(peer); it != until_.end()) {
    const bool already = it->second > now;
    it->second = now + kBadPeerTime;
    return !already;
  }
  if (until_.size() >= kCapacity) {
    std::erase_if(until_, [now](const auto& entry) { return entry.second <= now; });
    if (until_.size() >= kCapacity) {
      until_.erase(std::min_element(until_.begin(), until_.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      }));
    }
  }
  until_.emplace(peer, now + kBadPeerTime);
  return true;
}

bool PeerPenalties::is_bad(const boost::asio::ip::tcp::endpoint& peer,
                           Clock::time_point now) const {
  auto it = until_.find(peer);
  return it != until_.end() && it->second > now;
}

std::size_t PeerPenalties::count(Clock::time_point now) const {
  return static_cast<std::size_t>(
      std::count_if(until_.begin(), until_.end(), [now](const auto& e) { return e.second > now; }));
}

}  // namespace peerdist::net
