// The MS-PCCRD prober (spec digest §2, §4.3 step 2, A22, A34): asks the branch which peers hold
// some segments, and reports each peer's offer as its ProbeMatch arrives, so that the caller can
// start fetching from the first peer at once.
//
//   * The segment IDs are split into probes that fit one datagram (split_into_probes, A22).
//   * Each probe is multicast on every discovery interface (IP_MULTICAST_IF per interface, TTL
//     1: the branch is the link), to 239.255.255.250 and to ff02::c when IPv6 works, twice: at
//     once and again after a random 100-250 ms (A34). Multicast loop stays on, so that another
//     daemon on this host hears it too (this daemon's responder ignores it: DiscoveryOwnProbes).
//   * One ephemeral socket per family sends the probes and receives the unicast ProbeMatches.
//     A match counts when its RelatesTo is one of the round's probes, it decodes and answers
//     that probe (held_segments), and it comes from the local subnet of the interface it
//     arrived on (§2.1). The same peer's repeated match for a probe is ignored.
//   * Matches are collected until `wait` (kClientWait) after the round's last send; then
//     on_done, once. Later matches are ignored.
//   * At most ProbeRateLimiter::kProbesPerSecond probes leave the host (MS-CCRSO Fmax); probes
//     over the limit wait for their turn.
//
// Threading: as DiscoveryResponder (one single-threaded executor; construct, call and destroy
// on it). Handlers run on the executor, never inside probe().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/net/discovery_own_probes.hpp"
#include "peerdist/net/discovery_random.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::net {

// What one peer says it holds of one probed segment.
struct SegmentOffer {
  std::size_t index = 0;  // position in the segment IDs given to probe() (the first, if repeated)
  crypto::Digest segment_id;
  // v1: how many of the segment's blocks the peer holds (at least 1); compare with the
  // segment's block count to know whether it has them all. v2: nullopt.
  std::optional<std::uint32_t> block_count;
  bool has_some = true;  // always: only held segments are offered
  bool has_all = false;  // v2: the whole segment; v1: false (unknown, see block_count)
  std::optional<std::chrono::milliseconds> age;  // v2, when the peer said
  friend bool operator==(const SegmentOffer&, const SegmentOffer&) = default;
};

// One ProbeMatch, as the caller needs it.
struct PeerOffer {
  boost::asio::ip::address source;  // the peer's address (the match's source)
  unsigned interface_index = 0;     // where the match came in
  std::string endpoint_address;     // the peer's wsa:Address (urn:uuid, one per peer start)
  // Where it serves MS-PCCRR, from XAddrs in its order; an entry whose host is unusable (a
  // name, a wildcard, multicast, a loopback address of another host) is replaced by the source
  // address with that entry's port. IPv6 link-local addresses carry the receiving interface.
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  wire::pccrd::Version version = wire::pccrd::Version::v1;
  std::vector<SegmentOffer> segments;  // at least one
};

struct ProbeSummary {
  std::size_t probes = 0;          // distinct probes (message IDs) of the round
  std::size_t datagrams_sent = 0;  // sends that left (probes x 2 x interfaces x families)
  std::size_t offers = 0;          // on_match calls
};

struct DiscoveryProberOptions {
  // Interface names; empty: every up, multicast-capable, non-loopback interface.
  std::vector<std::string> interfaces;
  bool ipv4 = true;
  bool ipv6 = true;                            // when it works
  std::uint16_t port = wire::pccrd::kUdpPort;  // where responders listen
  std::chrono::milliseconds wait = wire::pccrd::kClientWait;
  std::chrono::milliseconds repeat_min = wire::pccrd::kProbeRepeatMinDelay;
  std::chrono::milliseconds repeat_max = wire::pccrd::kProbeRepeatMaxDelay;
  DelayPicker delay;  // empty: uniform_delay_picker()
  // Shared with this daemon's responder (may be null).
  std::shared_ptr<DiscoveryOwnProbes> own_probes;
};

struct DiscoveryProberCounters {
  std::uint64_t rounds = 0;  // probe() calls
  std::uint64_t probes = 0;  // distinct probes
  std::uint64_t datagrams_sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t received = 0;    // datagrams on the prober's sockets
  std::uint64_t malformed = 0;   // not a ProbeMatch, or not one answering its probe
  std::uint64_t unrelated = 0;   // RelatesTo none of the probes in progress (late, foreign)
  std::uint64_t off_subnet = 0;  // from outside the receiving interface's subnets
  std::uint64_t duplicates = 0;  // the same peer again for the same probe
  std::uint64_t offers = 0;
};

// A round in progress. cancel() ends it: no handler is called after it (not even on_done).
class DiscoveryProbe {
 public:
  DiscoveryProbe() = default;
  virtual ~DiscoveryProbe() = default;
  DiscoveryProbe(const DiscoveryProbe&) = delete;
  DiscoveryProbe& operator=(const DiscoveryProbe&) = delete;
  DiscoveryProbe(DiscoveryProbe&&) = delete;
  DiscoveryProbe& operator=(DiscoveryProbe&&) = delete;
  virtual void cancel() = 0;
};

class DiscoveryProber {
 public:
  using MatchHandler = std::function<void(PeerOffer offer)>;
  using DoneHandler = std::function<void(ProbeSummary summary)>;

  // Multicast hop limit: discovery stays on the link (a branch office's subnet).
  static constexpr int kMulticastHops = 1;

  DiscoveryProber(const boost::asio::any_io_executor& executor, DiscoveryProberOptions options);
  ~DiscoveryProber();
  DiscoveryProber(const DiscoveryProber&) = delete;
  DiscoveryProber& operator=(const DiscoveryProber&) = delete;
  DiscoveryProber(DiscoveryProber&&) = delete;
  DiscoveryProber& operator=(DiscoveryProber&&) = delete;

  // Opens the sockets. An error when neither family's socket opens (IPv6 alone is logged).
  [[nodiscard]] Expected<void, std::string> start();
  // Ends every round without calling its handlers, closes the sockets. Idempotent.
  void stop();

  // Probes for `segment_ids` (HoHoDk of segments of `version` content). on_match per accepted
  // ProbeMatch, then on_done once (also for no IDs, no interface, or a stopped prober). Throws
  // std::invalid_argument for an ID of 0 or more than 64 bytes.
  std::shared_ptr<DiscoveryProbe> probe(wire::pccrd::Version version,
                                        std::vector<crypto::Digest> segment_ids,
                                        MatchHandler on_match, DoneHandler on_done);

  [[nodiscard]] const DiscoveryProberCounters& counters() const noexcept;
  // The sockets' local ports (nullopt: that family is not open).
  [[nodiscard]] std::optional<std::uint16_t> local_port(bool v6) const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peerdist::net
