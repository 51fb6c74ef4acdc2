// Several finders as one (`[distributed] peers` beside discovery): a search asks each, reports
// each peer once (the first finder to name it wins: configured peers come first when listed
// first), and is done when every finder is.
#pragma once

#include <memory>
#include <vector>

#include "peerdist/net/peer_finder.hpp"

namespace peerdist::net {

class CombinedFinder final : public PeerFinder {
 public:
  // At least one finder (else std::invalid_argument); null entries are skipped.
  explicit CombinedFinder(std::vector<std::shared_ptr<PeerFinder>> finders);

  [[nodiscard]] std::shared_ptr<PeerSearch> find(PeerQuery query, CandidateHandler on_candidate,
                                                 DoneHandler on_done) override;

 private:
  std::vector<std::shared_ptr<PeerFinder>> finders_;
};

}  // namespace peerdist::net
