#include "peerdist/net/peer_static.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace peerdist::net {
namespace {

class StaticSearch final : public PeerSearch {
 public:
  void cancel() override { cancelled_ = true; }
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }

 private:
  bool cancelled_ = false;
};

}  // namespace

StaticPeers::StaticPeers(boost::asio::any_io_executor executor,
                         std::vector<boost::asio::ip::tcp::endpoint> peers)
    : executor_(std::move(executor)) {
  for (auto& peer : peers) {
    if (std::find(peers_.begin(), peers_.end(), peer) == peers_.end()) peers_.push_back(peer);
  }
}

std::shared_ptr<PeerSearch> StaticPeers::find(PeerQuery /*query*/, CandidateHandler on_candidate,
                                              DoneHandler on_done) {
  auto search = std::make_shared<StaticSearch>();
  // Posted, as every finder answers: the caller has stored the search handle before any
  // handler runs. The list is copied: the finder may be gone when the handler runs.
  boost::asio::post(executor_, [search, peers = peers_, on_candidate = std::move(on_candidate),
                                on_done = std::move(on_done)] {
    for (const auto& peer : peers) {
      if (search->cancelled()) return;
      if (on_candidate) {
        on_candidate(PeerCandidate{peer, std::nullopt, false, PeerCandidate::Origin::configured});
      }
    }
    if (!search->cancelled() && on_done) on_done();
  });
  return search;
}

}  // namespace peerdist::net
