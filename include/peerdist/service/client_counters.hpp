// What the client side of the service has moved, for `peerdist status` (ServiceInfo JSON,
// docs/service.md): the figures Windows shows as BranchCache performance counters. Touched on
// the network thread only.
#pragma once

#include <cstdint>

namespace peerdist::service {

struct ClientCounters {
  // Bytes of reads answered with blocks the local cache already held.
  std::uint64_t bytes_from_cache = 0;
  // Bytes of verified blocks received from peers (each stored in the cache).
  std::uint64_t bytes_from_peers = 0;
  // Bytes of verified blocks added by applications with AddData (fetched from the origin).
  std::uint64_t bytes_from_origin = 0;
  // Bytes added with AddData that did not verify against the content information: dropped.
  std::uint64_t bytes_rejected = 0;
  // Blocks a peer source handed over that no fetch asked for: dropped.
  std::uint64_t peer_blocks_dropped = 0;
};

}  // namespace peerdist::service
