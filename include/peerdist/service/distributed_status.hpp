// What `peerdist status` shows of distributed mode (ServiceInfo's "distributed" object,
// docs/service.md): where MS-PCCRR listens or why it does not, whether discovery runs, and the
// counters of every network part. A snapshot taken on the network thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "peerdist/net/discovery_prober.hpp"
#include "peerdist/net/discovery_responder.hpp"
#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/net/peer_discovery_finder.hpp"
#include "peerdist/net/peer_fetcher.hpp"
#include "peerdist/service/cache_segment_source.hpp"

namespace peerdist::service {

struct DistributedStatus {
  // MS-PCCRR server.
  // The port asked for (configured or default); once listening, the one bound (port 0: the
  // system's pick for the first listen address).
  std::uint16_t port = 0;
  bool listening = false;
  std::vector<std::string> endpoints;  // bound ("0.0.0.0:80", "[::]:80")
  std::optional<std::string> error;    // why it does not listen
  std::string crypto;                  // "AES-128"
  // MS-PCCRD.
  bool discovery = false;   // configured on
  bool responding = false;  // the responder runs
  bool probing = false;     // the prober runs
  std::optional<std::string> discovery_error;
  std::uint16_t discovery_port = 0;
  std::vector<std::string> peers;  // configured static peers

  net::PccrrServerCounters server;
  net::PeerExchangeCounters client;
  std::uint64_t client_connections = 0;  // open now
  net::PeerFetcherCounters fetcher;
  std::uint64_t bad_peers_now = 0;
  net::DiscoveryResponderCounters responder;
  net::DiscoveryProberCounters prober;
  net::DiscoveryFinderCounters finder;
  CacheSegmentSourceCounters cache_source;
};

}  // namespace peerdist::service
