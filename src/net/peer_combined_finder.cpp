#include "peerdist/net/peer_combined_finder.hpp"

#include <algorithm>
#include <stdexcept>

namespace peerdist::net {
namespace {

struct CombinedSearch final : PeerSearch, std::enable_shared_from_this<CombinedSearch> {
  std::vector<std::shared_ptr<PeerSearch>> parts;
  std::size_t running = 0;
  std::vector<boost::asio::ip::tcp::endpoint> reported;
  PeerFinder::CandidateHandler on_candidate;
  PeerFinder::DoneHandler on_done;
  bool finished = false;

  void cancel() override {
    finished = true;
    on_candidate = nullptr;
    on_done = nullptr;
    for (auto& part : parts) {
      if (part) part->cancel();
    }
    parts.clear();
  }
  void candidate(const PeerCandidate& peer) {
    if (finished) return;
    if (std::find(reported.begin(), reported.end(), peer.endpoint) != reported.end()) return;
    reported.push_back(peer.endpoint);
    if (on_candidate) on_candidate(peer);
  }
  void part_done() {
    if (finished || running == 0 || --running > 0) return;
    finished = true;
    parts.clear();
    auto handler = std::move(on_done);
    on_candidate = nullptr;
    if (handler) handler();
  }
};

}  // namespace

CombinedFinder::CombinedFinder(std::vector<std::shared_ptr<PeerFinder>> finders) {
  for (auto& finder : finders) {
    if (finder) finders_.push_back(std::move(finder));
  }
  // A search must end with on_done, and only a finder can call it (on its executor).
  if (finders_.empty()) throw std::invalid_argument("CombinedFinder: no finder");
}

std::shared_ptr<PeerSearch> CombinedFinder::find(PeerQuery query, CandidateHandler on_candidate,
                                                 DoneHandler on_done) {
  auto search = std::make_shared<CombinedSearch>();
  search->on_candidate = std::move(on_candidate);
  search->on_done = std::move(on_done);
  search->running = finders_.size();
  std::weak_ptr<CombinedSearch> weak = search;
  for (auto& finder : finders_) {
    search->parts.push_back(finder->find(
        query,
        [weak](PeerCandidate peer) {
          if (auto s = weak.lock()) s->candidate(peer);
        },
        [weak] {
          if (auto s = weak.lock()) s->part_done();
        }));
  }
  return search;
}

}  // namespace peerdist::net
