// The PeerSource of a machine that asks no peer: distributed mode off (`[distributed]
// enabled = false`), or no network part. Every fetch ends not_found, so a read reports its
// missing range at once (PEERDIST_ERROR_MISSING_DATA) and the application goes to the origin.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "peerdist/net/peer_source.hpp"

namespace peerdist::net {

class NoPeers final : public PeerSource {
 public:
  // Handlers run on `executor`, never inside fetch() itself (PeerSource's contract).
  explicit NoPeers(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  [[nodiscard]] std::shared_ptr<Fetch> fetch(FetchRequest request, BlockHandler on_block,
                                             DoneHandler on_done) override;

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace peerdist::net
