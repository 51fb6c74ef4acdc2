// What every content handle (ClientContent) of the service shares: the network thread, the
// hashing pool, the data cache's front, the peers, and the counters. Owned by the service (or
// a test); it outlives every ClientContent.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "peerdist/net/peer_source.hpp"
#include "peerdist/service/cache_front.hpp"
#include "peerdist/service/client_counters.hpp"

namespace peerdist::service {

struct ClientContext {
  boost::asio::any_io_executor executor;          // the network thread
  boost::asio::thread_pool* hash_pool = nullptr;  // CI parsing, block verification
  std::shared_ptr<CacheFront> cache;              // null: no data cache (client calls refused)
  std::shared_ptr<net::PeerSource> peers;         // NoPeers when distributed mode is off
  ClientCounters counters;
};

}  // namespace peerdist::service
