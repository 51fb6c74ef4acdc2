#include "peerdist/service/distributed.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "peerdist/net/discovery_own_probes.hpp"
#include "peerdist/net/no_peers.hpp"
#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/net/peer_combined_finder.hpp"
#include "peerdist/net/peer_endpoint.hpp"
#include "peerdist/net/peer_static.hpp"
#include "peerdist/util/worker_pool.hpp"

namespace peerdist::service {

namespace asio = boost::asio;
namespace ip = asio::ip;

namespace {

// Threads that decrypt, encrypt and hash blocks for the PCCRR client and server, off the
// network thread: a 64 KiB block costs ~45 µs of AES and ~150 µs of SHA-256 on one core, so
// two threads keep up with several Gbit/s, and more would only compete with the service's
// hashing pool for the same cores.
constexpr unsigned kCryptoThreads = 2;

// CAP_NET_BIND_SERVICE's bit in the capability sets (linux/capability.h).
constexpr unsigned kCapNetBindService = 10;
// Ports below this need privilege unless the administrator lowered it
// (net.ipv4.ip_unprivileged_port_start).
constexpr unsigned kDefaultUnprivilegedPortStart = 1024;

// Whether the effective capability set (/proc/self/status "CapEff:", hex) has the bit.
bool has_effective_capability(unsigned bit) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    constexpr std::string_view kKey = "CapEff:";
    if (line.rfind(kKey, 0) != 0) continue;
    std::uint64_t mask = 0;
    std::istringstream in(line.substr(kKey.size()));
    in >> std::hex >> mask;
    return !in.fail() && ((mask >> bit) & 1U) != 0;
  }
  return false;
}

unsigned unprivileged_port_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  unsigned start = kDefaultUnprivilegedPortStart;
  if (!(in >> start)) return kDefaultUnprivilegedPortStart;
  return start;
}

// Whether this host can have an IPv6 listening socket at all (a kernel without IPv6, or
// ipv6.disable=1, refuses the socket; the wildcard bind then fails too).
bool ipv6_works() {
  asio::io_context io;
  ip::tcp::acceptor probe(io);
  boost::system::error_code ec;
  probe.open(ip::tcp::v6(), ec);
  if (!ec) probe.set_option(ip::v6_only(true), ec);
  if (!ec) probe.bind(ip::tcp::endpoint(ip::address_v6::any(), 0), ec);
  return !ec;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::uint16_t default_pccrr_port() {
  const bool may_bind = ::geteuid() == 0 || has_effective_capability(kCapNetBindService) ||
                        unprivileged_port_start() <= DistributedConfig::kPrivilegedPort;
  return may_bind ? DistributedConfig::kPrivilegedPort : DistributedConfig::kUnprivilegedPort;
}

struct Distributed::Parts {
  Parts(asio::any_io_executor on, std::shared_ptr<CacheFront> cache, DistributedConfig given)
      : executor(std::move(on)), config(std::move(given)), source(executor, std::move(cache)) {}

  asio::any_io_executor executor;
  DistributedConfig config;
  util::WorkerPool crypto_pool{kCryptoThreads};
  CacheSegmentSource source;
  std::unique_ptr<net::PccrrServer> server;
  std::shared_ptr<net::DiscoveryOwnProbes> own_probes = std::make_shared<net::DiscoveryOwnProbes>();
  std::unique_ptr<net::DiscoveryResponder> responder;
  std::unique_ptr<net::DiscoveryProber> prober;
  std::shared_ptr<net::DiscoveryFinder> discovery_finder;
  std::shared_ptr<net::PccrrClient> client;
  std::shared_ptr<net::PeerFetcher> fetcher;
  std::shared_ptr<net::PeerSource> peers;  // the fetcher, or NoPeers
  DistributedStatus status;
  bool started = false;
  bool stopped = false;
};

Distributed::Distributed(asio::any_io_executor executor, std::shared_ptr<CacheFront> cache,
                         DistributedConfig config)
    : parts_(std::make_unique<Parts>(std::move(executor), std::move(cache), std::move(config))) {
  Parts& p = *parts_;
  DistributedStatus& s = p.status;
  s.port = p.config.port.value_or(default_pccrr_port());
  s.crypto = std::string(wire::pccrr::to_string(p.config.crypto));
  s.discovery = p.config.discovery;
  s.discovery_port = p.config.discovery_port;
  for (const auto& peer : p.config.peers) s.peers.push_back(net::to_string(peer));
  p.peers = std::make_shared<net::NoPeers>(p.executor);
}

Distributed::~Distributed() {
  stop();
}

void Distributed::start() {
  Parts& p = *parts_;
  if (p.started || p.stopped) return;
  p.started = true;
  DistributedStatus& s = p.status;

  // Serving: MS-PCCRR on every listen address.
  net::PccrrServerOptions server_options;
  std::vector<ip::address> addresses = p.config.listen;
  if (addresses.empty()) {
    addresses.emplace_back(ip::address_v4::any());
    if (ipv6_works()) addresses.emplace_back(ip::address_v6::any());
  }
  for (const auto& address : addresses) server_options.endpoints.emplace_back(address, s.port);
  server_options.algorithm = p.config.crypto;
  server_options.max_uploads_per_peer = p.config.max_uploads_per_peer;
  server_options.max_uploads = p.config.max_uploads;
  server_options.crypto_pool = &p.crypto_pool;
  p.server = std::make_unique<net::PccrrServer>(p.executor, p.source, server_options);
  if (auto listening = p.server->listen(); !listening) {
    s.error = listening.error();
    spdlog::error(
        "distributed mode: MS-PCCRR server: {}; peers cannot retrieve from this "
        "machine (reading from them works on)",
        listening.error());
    p.server.reset();
  } else {
    s.listening = true;
    s.port = p.server->local_endpoints().front().port();  // the system's pick for port 0
    for (const auto& endpoint : p.server->local_endpoints()) {
      s.endpoints.push_back(net::to_string(endpoint));
    }
  }

  // Discovery: the responder only when there is something to retrieve from here.
  if (p.config.discovery) {
    if (p.server) {
      net::DiscoveryResponderOptions options;
      options.port = p.config.discovery_port;
      options.interfaces = p.config.discovery_interfaces;
      options.pccrr_port = p.server->local_endpoints().front().port();
      // Specific listen addresses are what peers must use; the wildcard is advertised as the
      // address of the interface each probe came in on.
      const bool wildcard = std::any_of(addresses.begin(), addresses.end(),
                                        [](const ip::address& a) { return a.is_unspecified(); });
      if (!wildcard) {
        for (const auto& endpoint : p.server->local_endpoints()) {
          options.advertise.push_back(net::to_string(endpoint));
        }
      }
      options.own_probes = p.own_probes;
      p.responder = std::make_unique<net::DiscoveryResponder>(p.executor, p.source, options);
      if (auto started = p.responder->start(); !started) {
        s.discovery_error = started.error();
        spdlog::error("distributed mode: {}; this machine's cache is not offered to the branch",
                      started.error());
        p.responder.reset();
      } else {
        s.responding = true;
      }
    }
    net::DiscoveryProberOptions options;
    options.interfaces = p.config.discovery_interfaces;
    options.port = p.config.discovery_port;
    options.own_probes = p.own_probes;
    p.prober = std::make_unique<net::DiscoveryProber>(p.executor, options);
    if (auto started = p.prober->start(); !started) {
      s.discovery_error = started.error();
      spdlog::error("distributed mode: {}; peers are not discovered", started.error());
      p.prober.reset();
    } else {
      s.probing = true;
      p.discovery_finder = std::make_shared<net::DiscoveryFinder>(p.executor, *p.prober);
    }
  }

  // Asking: configured peers first (they answer without a discovery round), then discovery.
  std::vector<std::shared_ptr<net::PeerFinder>> finders;
  if (!p.config.peers.empty()) {
    finders.push_back(std::make_shared<net::StaticPeers>(p.executor, p.config.peers));
  }
  if (p.discovery_finder) finders.push_back(p.discovery_finder);
  if (!finders.empty()) {
    net::PccrrClientOptions client_options;
    client_options.crypto_pool = &p.crypto_pool;
    p.client = std::make_shared<net::PccrrClient>(p.executor, client_options);
    std::shared_ptr<net::PeerFinder> finder =
        finders.size() == 1 ? finders.front()
                            : std::make_shared<net::CombinedFinder>(std::move(finders));
    p.fetcher = std::make_shared<net::PeerFetcher>(p.executor, p.client, std::move(finder));
    p.peers = p.fetcher;
  }

  spdlog::info(
      "distributed mode: MS-PCCRR {} ({}); discovery {}; static peers: {}",
      s.listening ? "on " + join(s.endpoints) : "not served (port " + std::to_string(s.port) + ")",
      s.crypto,
      !p.config.discovery
          ? std::string("off")
          : "UDP " + std::to_string(s.discovery_port) + " (" +
                (p.config.discovery_interfaces.empty() ? std::string("all interfaces")
                                                       : join(p.config.discovery_interfaces)) +
                (s.responding ? "" : ", not answering") + (s.probing ? "" : ", not probing") + ")",
      s.peers.empty() ? std::string("none") : join(s.peers));
}

void Distributed::stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  if (p.fetcher) p.fetcher->stop();
  if (p.discovery_finder) p.discovery_finder->stop();
  if (p.prober) p.prober->stop();
  if (p.responder) p.responder->stop();
  if (p.server) p.server->stop();
  // The client's idle connections and their timers would keep the io_context running: the
  // client closes them when it goes (the fetcher let go of it in stop()).
  p.client.reset();
  p.peers = std::make_shared<net::NoPeers>(p.executor);
}

std::shared_ptr<net::PeerSource> Distributed::peer_source() const {
  return parts_->peers;
}

DistributedStatus Distributed::status() const {
  const Parts& p = *parts_;
  DistributedStatus s = p.status;
  if (p.server) s.server = p.server->counters();
  if (p.client) s.client_connections = p.client->open_connections();
  if (p.fetcher) {
    s.fetcher = p.fetcher->counters();
    s.client = s.fetcher.exchanges;
    s.bad_peers_now = p.fetcher->bad_peers_now();
  }
  if (p.responder) s.responder = p.responder->counters();
  if (p.prober) s.prober = p.prober->counters();
  if (p.discovery_finder) s.finder = p.discovery_finder->counters();
  s.cache_source = p.source.counters();
  return s;
}

}  // namespace peerdist::service
