// Distributed mode in peerdistd: the object that owns the network endpoints of the branch and
// plugs them into the service (docs/distributed-cache.md, docs/config.md [distributed]).
//
//   * serving: a PccrrServer on `listen` x `port` over the data cache (CacheSegmentSource), and
//     a DiscoveryResponder advertising that port, when it listens;
//   * asking: a PccrrClient, a DiscoveryProber (with the responder, sharing the memory of this
//     machine's own probes) and the configured static peers, as the finders of a PeerFetcher,
//     the service's PeerSource.
//
// Nothing here stops the daemon: a port that cannot be bound, a discovery socket that cannot be
// opened are logged as errors and shown in the status, and the rest runs on (a machine that
// cannot serve its peers can still read from them, and the reverse).
//
// Threading: the network thread (a single-threaded io_context); construct, call and destroy
// there (or after it has stopped running).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "peerdist/net/peer_source.hpp"
#include "peerdist/service/cache_front.hpp"
#include "peerdist/service/config.hpp"
#include "peerdist/service/distributed_status.hpp"

namespace peerdist::service {

// The MS-PCCRR port when the configuration names none: DistributedConfig::kPrivilegedPort when
// this process may bind it (root, CAP_NET_BIND_SERVICE, or net.ipv4.ip_unprivileged_port_start
// at most 80), else kUnprivilegedPort.
[[nodiscard]] std::uint16_t default_pccrr_port();

class Distributed {
 public:
  // `cache` may be null (no data cache: nothing is served, fetched blocks are still handed to
  // the service, which then has nowhere to keep them).
  Distributed(boost::asio::any_io_executor executor, std::shared_ptr<CacheFront> cache,
              DistributedConfig config);
  // stop()
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  // Binds, opens and logs what it listens on (one line) and each failure (an error each).
  void start();
  // Ends every fetch, stops serving, closes every socket and connection: afterwards nothing of
  // it keeps the io_context running. Idempotent.
  void stop();

  // What the service asks for missing blocks: the PeerFetcher, or NoPeers when there is
  // nobody to ask (discovery off and no static peer).
  [[nodiscard]] std::shared_ptr<net::PeerSource> peer_source() const;

  [[nodiscard]] DistributedStatus status() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace peerdist::service
