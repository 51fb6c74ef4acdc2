// StaticPeers: a configured list of MS-PCCRR endpoints (`[distributed] peers`), offered for
// every segment. What setups without multicast discovery use: a hosted-cache-like server every
// branch machine asks, peers across routers, tests. A configured peer that lacks a block says
// so (an empty MSG_BLK) and costs one round trip.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "peerdist/net/peer_finder.hpp"

namespace peerdist::net {

class StaticPeers final : public PeerFinder {
 public:
  // Duplicates are offered once, in the order given.
  StaticPeers(boost::asio::any_io_executor executor,
              std::vector<boost::asio::ip::tcp::endpoint> peers);

  [[nodiscard]] std::shared_ptr<PeerSearch> find(PeerQuery query, CandidateHandler on_candidate,
                                                 DoneHandler on_done) override;

  [[nodiscard]] const std::vector<boost::asio::ip::tcp::endpoint>& peers() const noexcept {
    return peers_;
  }

 private:
  boost::asio::any_io_executor executor_;
  std::vector<boost::asio::ip::tcp::endpoint> peers_;
};

}  // namespace peerdist::net
