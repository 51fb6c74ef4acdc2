// Peers caught sending bytes that are not the block asked for (FetchError::bad_data: the
// decrypted block fails its hash, or the reply names another segment or block). A branch
// machine with a damaged disk, a buggy implementation or a hostile one would otherwise be asked
// again for every block and waste a request timer each time; it is left alone for kBadPeerTime,
// by every fetch. Nothing it sent was ever accepted (verification is what caught it).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <map>

namespace peerdist::net {

class PeerPenalties {
 public:
  using Clock = std::chrono::steady_clock;

  // Long enough that a bad peer costs a branch a handful of wasted requests an hour, short
  // enough that a peer whose disk was replaced (or whose cache was cleared) is used again the
  // same day.
  static constexpr std::chrono::minutes kBadPeerTime{10};
  // A branch has tens of peers; this bounds the map against a flood of distinct addresses.
  static constexpr std::size_t kCapacity = 1024;

  // true when the peer was not already marked (the caller logs and counts it once).
  bool mark_bad(const boost::asio::ip::tcp::endpoint& peer, Clock::time_point now);
  [[nodiscard]] bool is_bad(const boost::asio::ip::tcp::endpoint& peer,
                            Clock::time_point now) const;
  // Peers set aside at `now`.
  [[nodiscard]] std::size_t count(Clock::time_point now) const;

 private:
  std::map<boost::asio::ip::tcp::endpoint, Clock::time_point> until_;
};

}  // namespace peerdist::net
