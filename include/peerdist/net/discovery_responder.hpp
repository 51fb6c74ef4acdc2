// The MS-PCCRD responder (spec digest §2, A14-A21): listens on UDP 3702 for the probes peers of
// the branch multicast, asks the service which of the probed segments this machine holds
// (SegmentSource::holdings), and when it holds any, answers with one ProbeMatch unicast to the
// prober after a random backoff.
//
//   * The port is shared (SO_REUSEADDR + SO_REUSEPORT): several daemons, and every other
//     WS-Discovery user of the host (printers' Function Discovery, wsdd), listen on it too.
//     Messages that are not PeerDist probes are ignored and counted apart from malformed ones.
//   * 239.255.255.250 is joined on each discovery interface, and ff02::c too when IPv6 works
//     (when it does not, the responder logs it and serves IPv4 only).
//   * The same probe arrives twice (the prober repeats it, A34), maybe on several interfaces:
//     it is answered once per address family (a prober probing over both, as iPXE does, gets
//     an XAddr of each). A probe from this machine's own prober (DiscoveryOwnProbes) is
//     ignored.
//   * v1 probes are answered for any held segment, whatever the version of its content
//     information (A21: iPXE probes v2 content with v1 probes); v2 probes likewise.
//   * XAddrs: the address of the interface the probe came in on with the PCCRR port, or the
//     configured addresses.
//
// Threading: everything runs on the executor given at construction, which must be
// single-threaded (peerdistd's network io_context); construct, call and destroy the responder
// on that thread. SegmentSource must call back on that executor and outlive the responder.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peerdist/net/discovery_own_probes.hpp"
#include "peerdist/net/discovery_random.hpp"
#include "peerdist/net/segment_source.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrd/constants.hpp"

namespace peerdist::net {

struct DiscoveryResponderOptions {
  std::uint16_t port = wire::pccrd::kUdpPort;
  // Interface names (`[distributed] discovery_interfaces`); empty: every up, multicast-capable,
  // non-loopback interface.
  std::vector<std::string> interfaces;
  bool ipv4 = true;
  bool ipv6 = true;  // when it works
  // The MS-PCCRR port advertised in XAddrs (required unless `advertise` is given).
  std::uint16_t pccrr_port = 0;
  // XAddrs to advertise instead of the receiving interface's address ("host:port" entries,
  // e.g. behind NAT or a proxy); normalized with wire::pccrd::normalize_xaddr.
  std::vector<std::string> advertise;
  // The backoff before each answer is random in [kMinReplyDelay, max_delay].
  std::chrono::milliseconds max_delay = wire::pccrd::kAppMaxDelay;
  DelayPicker delay;  // empty: uniform_delay_picker()
  // The prober of the same daemon, whose probes are not answered (may be null).
  std::shared_ptr<DiscoveryOwnProbes> own_probes;
  // wsd:AppSequence InstanceId; default: the start time in seconds since 1970 (as Windows 7),
  // which grows with every restart.
  std::optional<std::uint32_t> instance_id;
};

struct DiscoveryResponderCounters {
  std::uint64_t received = 0;   // datagrams read
  std::uint64_t malformed = 0;  // dropped: oversized, or not a well-formed probe
  // Other WS-Discovery traffic (decode_probe: NotForUs), and anything that came in on an
  // interface discovery does not run on.
  std::uint64_t not_for_us = 0;
  std::uint64_t own = 0;          // probes of this machine's prober
  std::uint64_t duplicates = 0;   // a probe already handled (its repeat, another interface)
  std::uint64_t probes = 0;       // PeerDist probes looked up in the cache
  std::uint64_t not_held = 0;     // ... of which none of the segments is held: no answer
  std::uint64_t dropped = 0;      // probes refused because kMaxPendingProbes were in progress
  std::uint64_t answered = 0;     // ProbeMatches sent
  std::uint64_t send_errors = 0;  // ProbeMatches the kernel refused
};

class DiscoveryResponder {
 public:
  // The lower end of the backoff (spec: 1 ms..APP_MAX_DELAY).
  static constexpr std::chrono::milliseconds kMinReplyDelay{1};
  // Probes being looked up or waiting for their backoff at once. A branch's probes come at
  // most 100/s per prober (and each is answered within ~65 ms); past this a multicast flood
  // would only queue cache lookups.
  static constexpr std::size_t kMaxPendingProbes = 256;
  // How long a handled probe's message ID is remembered: its repeat comes within 250 ms (A34),
  // a slow prober's within 1 s (iPXE).
  static constexpr std::chrono::seconds kDuplicateMemory{5};
  static constexpr std::size_t kDuplicateCapacity = 4096;
  // Interfaces that come up later (a daemon started before the network) are joined at the next
  // rescan.
  static constexpr std::chrono::seconds kInterfaceRescanInterval{30};

  DiscoveryResponder(const boost::asio::any_io_executor& executor, SegmentSource& source,
                     DiscoveryResponderOptions options);
  ~DiscoveryResponder();
  DiscoveryResponder(const DiscoveryResponder&) = delete;
  DiscoveryResponder& operator=(const DiscoveryResponder&) = delete;
  DiscoveryResponder(DiscoveryResponder&&) = delete;
  DiscoveryResponder& operator=(DiscoveryResponder&&) = delete;

  // Opens the sockets, joins the groups, starts receiving. An error when the options are
  // unusable or no socket could be opened (an IPv6 failure alone is logged, not an error).
  [[nodiscard]] Expected<void, std::string> start();
  // Closes the sockets; pending answers are not sent. Idempotent.
  void stop();
  // Joins the groups on discovery interfaces that appeared since the last scan.
  void rescan_interfaces();

  [[nodiscard]] const DiscoveryResponderCounters& counters() const noexcept;
  // wsa:EndpointReference/wsa:Address of this instance ("urn:uuid:...", fixed per start).
  [[nodiscard]] const std::string& endpoint_address() const noexcept;
  [[nodiscard]] std::uint32_t instance_id() const noexcept;
  // Whether the IPv6 socket is open and joined ff02::c on at least one interface.
  [[nodiscard]] bool ipv6_active() const noexcept;
  // The interfaces (by index) the IPv4 group is joined on.
  [[nodiscard]] std::vector<unsigned> joined_interfaces() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peerdist::net
