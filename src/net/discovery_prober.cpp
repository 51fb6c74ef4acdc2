#include "peerdist/net/discovery_prober.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "peerdist/net/discovery_interfaces.hpp"
#include "peerdist/net/discovery_rate_limiter.hpp"
#include "peerdist/net/discovery_socket.hpp"
#include "peerdist/wire/pccrd/decode.hpp"
#include "peerdist/wire/pccrd/encode.hpp"
#include "peerdist/wire/pccrd/match.hpp"
#include "peerdist/wire/pccrd/probe_split.hpp"
#include "peerdist/wire/pccrd/xaddr.hpp"

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;
namespace pccrd = wire::pccrd;
using Clock = std::chrono::steady_clock;

// As in the responder: datagrams per readiness notification, so one socket cannot starve the
// rest of the network thread.
constexpr int kMaxDatagramsPerWake = 64;

// The address to reach the peer at for one XAddrs entry, or nullopt when the entry's host is
// no use to us: a name (resolving it would cost a DNS round trip per offer, and the peer's
// source address is as good), a wildcard, a multicast or broadcast address, or a loopback
// address sent by another host.
std::optional<ip::address> usable_host(const std::string& host, const ip::address& source,
                                       unsigned interface_index) {
  boost::system::error_code ec;
  ip::address address = ip::make_address(host, ec);
  if (ec) return std::nullopt;
  if (address.is_unspecified() || address.is_multicast()) return std::nullopt;
  if (address.is_v4() && address.to_v4() == ip::address_v4::broadcast()) return std::nullopt;
  if (address.is_loopback() && !source.is_loopback()) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_link_local()) {
    // The zone the peer wrote (if any) names one of its interfaces; ours is where it answered.
    ip::address_v6 v6(address.to_v6().to_bytes());
    v6.scope_id(interface_index);
    address = v6;
  }
  return address;
}

}  // namespace

class DiscoveryProber::Impl : public std::enable_shared_from_this<Impl> {
 public:
  struct Round {
    explicit Round(const boost::asio::any_io_executor& executor) : timer(executor) {}
    pccrd::Version version = pccrd::Version::v1;
    std::vector<pccrd::Probe> probes;
    std::vector<std::size_t> offsets;  // probe i asks for ids[offsets[i]...]
    std::vector<std::string> texts;    // probe i's datagram
    MatchHandler on_match;
    DoneHandler on_done;
    ProbeSummary summary;
    struct Send {
      Clock::time_point at;
      std::size_t probe = 0;
    };
    std::vector<Send> sends;  // by time
    std::size_t next_send = 0;
    Clock::time_point end;
    boost::asio::steady_timer timer;
    std::set<std::pair<std::size_t, std::string>> answered;  // (probe, peer endpoint address)
    std::vector<NetworkInterface> discovery_interfaces;      // where to send
    std::vector<NetworkInterface> all_interfaces;            // where matches may arrive
    bool finished = false;
  };

  class Handle final : public DiscoveryProbe {
   public:
    Handle(std::weak_ptr<Impl> impl, std::weak_ptr<Round> round)
        : impl_(std::move(impl)), round_(std::move(round)) {}
    void cancel() override {
      const auto impl = impl_.lock();
      const auto round = round_.lock();
      if (impl && round) impl->end_round(round, false);
    }

   private:
    std::weak_ptr<Impl> impl_;
    std::weak_ptr<Round> round_;
  };

  Impl(const boost::asio::any_io_executor& executor, DiscoveryProberOptions options)
      : executor_(executor), options_(std::move(options)), v4_(executor), v6_(executor) {}

  Expected<void, std::string> start();
  void stop();
  std::shared_ptr<DiscoveryProbe> probe(pccrd::Version version, std::vector<crypto::Digest> ids,
                                        MatchHandler on_match, DoneHandler on_done);
  // Takes the round out; with `notify`, calls its on_done (a natural end), else nothing
  // (cancelled).
  void end_round(const std::shared_ptr<Round>& round, bool notify);

  [[nodiscard]] std::optional<std::uint16_t> local_port(bool v6) const {
    const ip::udp::socket& socket = v6 ? v6_ : v4_;
    if (!socket.is_open()) return std::nullopt;
    boost::system::error_code ec;
    const auto endpoint = socket.local_endpoint(ec);
    if (ec) return std::nullopt;
    return endpoint.port();
  }

  [[nodiscard]] const DiscoveryProberCounters& counters() const noexcept { return counters_; }

 private:
  struct Outstanding {
    std::weak_ptr<Round> round;
    std::size_t probe = 0;
  };

  void run_round(const std::shared_ptr<Round>& round);
  void send_probe(Round& round, std::size_t index);
  void wait_readable(ip::udp::socket& socket);
  void drain(ip::udp::socket& socket);
  void handle(const ReceivedDatagram& datagram);
  static std::vector<ip::tcp::endpoint> endpoints_of(const pccrd::ProbeMatch& match,
                                                     const ReceivedDatagram& datagram);

  boost::asio::any_io_executor executor_;
  DiscoveryProberOptions options_;
  DiscoveryProberCounters counters_;
  ip::udp::socket v4_;
  ip::udp::socket v6_;
  ProbeRateLimiter limiter_;
  std::set<std::shared_ptr<Round>> rounds_;
  std::map<std::string, Outstanding, std::less<>> outstanding_;  // by probe message ID
  std::vector<std::uint8_t> buffer_;
  bool started_ = false;
  bool stopped_ = false;
};

Expected<void, std::string> DiscoveryProber::Impl::start() {
  if (started_) return Unexpected(std::string("discovery prober: already started"));
  if (!options_.delay) options_.delay = uniform_delay_picker();
  options_.repeat_max = std::max(options_.repeat_max, options_.repeat_min);
  buffer_.resize(pccrd::kMaxDatagramSize + 1);
  std::error_code v4_error = std::make_error_code(std::errc::address_family_not_supported);
  if (options_.ipv4) {
    v4_error = open_discovery_socket(v4_, ip::udp::v4(), 0, false);
    if (!v4_error) v4_error = set_multicast_scope(v4_, kMulticastHops, true);
  }
  if (v4_error && options_.ipv4) {
    spdlog::warn("discovery: no IPv4 probe socket: {}", v4_error.message());
    boost::system::error_code ignored;
    v4_.close(ignored);
  }
  if (options_.ipv6) {
    std::error_code e = open_discovery_socket(v6_, ip::udp::v6(), 0, false);
    if (!e) e = set_multicast_scope(v6_, kMulticastHops, true);
    if (e) {
      spdlog::info("discovery: IPv6 unavailable ({}); probing over IPv4 only", e.message());
      boost::system::error_code ignored;
      v6_.close(ignored);
    }
  }
  if (!v4_.is_open() && !v6_.is_open()) {
    return Unexpected("discovery prober: cannot open a UDP socket: " + v4_error.message());
  }
  started_ = true;
  if (options_.own_probes)
    options_.own_probes->set_prober_ports(local_port(false), local_port(true));
  if (v4_.is_open()) wait_readable(v4_);
  if (v6_.is_open()) wait_readable(v6_);
  return {};
}

void DiscoveryProber::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (const auto& round : rounds_) {
    round->finished = true;
    round->timer.cancel();
  }
  rounds_.clear();
  outstanding_.clear();
  boost::system::error_code ignored;
  v4_.close(ignored);
  v6_.close(ignored);
  if (options_.own_probes) options_.own_probes->set_prober_ports(std::nullopt, std::nullopt);
}

std::shared_ptr<DiscoveryProbe> DiscoveryProber::Impl::probe(pccrd::Version version,
                                                             std::vector<crypto::Digest> ids,
                                                             MatchHandler on_match,
                                                             DoneHandler on_done) {
  ++counters_.rounds;
  auto round = std::make_shared<Round>(executor_);
  round->version = version;
  round->on_match = std::move(on_match);
  round->on_done = std::move(on_done);
  round->probes = pccrd::split_into_probes(version, ids);  // throws for a bad ID
  std::size_t offset = 0;
  for (const pccrd::Probe& p : round->probes) {
    round->offsets.push_back(offset);
    offset += p.segment_ids.size();
  }
  if (started_ && !stopped_) {
    auto all = list_interfaces();
    if (all) {
      round->all_interfaces = *all;
      round->discovery_interfaces =
          select_interfaces(std::move(*all), options_.interfaces).interfaces;
    } else {
      spdlog::warn("discovery: {}", all.error());
    }
  }
  rounds_.insert(round);
  auto handle = std::make_shared<Handle>(weak_from_this(), round);
  if (round->probes.empty() || round->discovery_interfaces.empty()) {
    // Nothing to ask, or nobody to ask: done, but never inside probe() itself.
    round->end = Clock::now();
    boost::asio::post(executor_,
                      [self = shared_from_this(), round] { self->end_round(round, true); });
    return handle;
  }
  const Clock::time_point now = Clock::now();
  Clock::time_point last_send = now;
  for (std::size_t i = 0; i < round->probes.size(); ++i) {
    const pccrd::Probe& p = round->probes[i];
    round->texts.push_back(pccrd::encode_probe(p));
    outstanding_[p.message_id] = Outstanding{round, i};
    if (options_.own_probes) options_.own_probes->add_message_id(p.message_id);
    const Clock::time_point first = limiter_.reserve(now);
    const Clock::time_point second =
        first + options_.delay(options_.repeat_min, options_.repeat_max);
    round->sends.push_back({first, i});
    round->sends.push_back({second, i});
    last_send = std::max(last_send, second);
  }
  std::stable_sort(round->sends.begin(), round->sends.end(),
                   [](const Round::Send& a, const Round::Send& b) { return a.at < b.at; });
  round->end = last_send + options_.wait;
  round->summary.probes = round->probes.size();
  counters_.probes += round->probes.size();
  run_round(round);
  return handle;
}

// Sends what is due, then sleeps until the next send or the end of the round.
void DiscoveryProber::Impl::run_round(const std::shared_ptr<Round>& round) {
  if (round->finished) return;
  // The first call comes from probe(): it sends nothing yet, only arms the timer (which fires at
  // once when the first send is due now).
  Clock::time_point next = round->end;
  if (round->next_send < round->sends.size()) next = round->sends[round->next_send].at;
  round->timer.expires_at(next);
  round->timer.async_wait([self = shared_from_this(), round](const boost::system::error_code& ec) {
    if (ec || round->finished || self->stopped_) return;
    const Clock::time_point at = Clock::now();
    while (round->next_send < round->sends.size() && round->sends[round->next_send].at <= at) {
      self->send_probe(*round, round->sends[round->next_send].probe);
      ++round->next_send;
    }
    if (round->next_send == round->sends.size() && at >= round->end) {
      self->end_round(round, true);
      return;
    }
    self->run_round(round);
  });
}

void DiscoveryProber::Impl::send_probe(Round& round, std::size_t index) {
  const std::string& text = round.texts[index];
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const ip::address group_v4 = ip::make_address(pccrd::kMulticastIpv4);
  for (const NetworkInterface& interface : round.discovery_interfaces) {
    if (const auto source = interface.first_v4(); v4_.is_open() && source) {
      std::error_code e = set_multicast_interface(v4_, interface.index, source);
      if (!e) e = send_datagram(v4_, bytes, {group_v4, options_.port}, std::nullopt, 0);
      if (e) {
        ++counters_.send_errors;
        spdlog::debug("discovery: probe on {} (IPv4): {}", interface.name, e.message());
      } else {
        ++counters_.datagrams_sent;
        ++round.summary.datagrams_sent;
      }
    }
    if (v6_.is_open() && interface.has_v6()) {
      ip::address_v6 group = ip::make_address_v6(pccrd::kMulticastIpv6);
      group.scope_id(interface.index);
      std::error_code e = set_multicast_interface(v6_, interface.index);
      if (!e) e = send_datagram(v6_, bytes, {group, options_.port}, std::nullopt, 0);
      if (e) {
        // Common where IPv6 is half configured; IPv4 carries discovery anyway.
        ++counters_.send_errors;
        spdlog::debug("discovery: probe on {} (IPv6): {}", interface.name, e.message());
      } else {
        ++counters_.datagrams_sent;
        ++round.summary.datagrams_sent;
      }
    }
  }
}

void DiscoveryProber::Impl::end_round(const std::shared_ptr<Round>& round, bool notify) {
  if (round->finished) return;
  round->finished = true;
  round->timer.cancel();
  for (const pccrd::Probe& p : round->probes) outstanding_.erase(p.message_id);
  rounds_.erase(round);
  if (notify && round->on_done) round->on_done(round->summary);
}

void DiscoveryProber::Impl::wait_readable(ip::udp::socket& socket) {
  socket.async_wait(ip::udp::socket::wait_read,
                    [self = shared_from_this(), &socket](const boost::system::error_code& ec) {
                      if (ec || self->stopped_) return;
                      self->drain(socket);
                    });
}

void DiscoveryProber::Impl::drain(ip::udp::socket& socket) {
  for (int i = 0; i < kMaxDatagramsPerWake && !stopped_; ++i) {
    auto datagram = receive_datagram(socket, buffer_);
    if (!datagram) {
      if (datagram.error() != std::errc::operation_would_block) {
        spdlog::debug("discovery: receive: {}", datagram.error().message());
        continue;
      }
      break;
    }
    handle(*datagram);
  }
  if (!stopped_) wait_readable(socket);
}

void DiscoveryProber::Impl::handle(const ReceivedDatagram& datagram) {
  ++counters_.received;
  if (datagram.truncated) {
    ++counters_.malformed;
    return;
  }
  auto match = pccrd::decode_probe_match(std::span(buffer_).first(datagram.size));
  if (!match) {
    ++counters_.malformed;
    spdlog::debug("discovery: malformed ProbeMatch from {}: {}",
                  datagram.source.address().to_string(), match.error().message());
    return;
  }
  const auto it = outstanding_.find(match->relates_to);
  const std::shared_ptr<Round> round = it == outstanding_.end() ? nullptr : it->second.round.lock();
  if (!round || round->finished) {
    ++counters_.unrelated;
    return;
  }
  const std::size_t probe_index = it->second.probe;
  const pccrd::Probe& probe = round->probes[probe_index];
  auto held = pccrd::held_segments(probe, *match);
  if (!held || held->empty()) {
    ++counters_.malformed;
    return;
  }
  const NetworkInterface* interface =
      find_interface(round->all_interfaces, datagram.interface_index);
  if (interface == nullptr || !on_local_subnet(*interface, datagram.source.address())) {
    ++counters_.off_subnet;
    return;
  }
  if (!round->answered.emplace(probe_index, match->endpoint_address).second) {
    ++counters_.duplicates;
    return;
  }
  PeerOffer offer;
  offer.source = datagram.source.address();
  offer.interface_index = datagram.interface_index;
  offer.endpoint_address = match->endpoint_address;
  offer.endpoints = endpoints_of(*match, datagram);
  offer.version = match->version();
  for (const pccrd::HeldSegment& h : *held) {
    SegmentOffer s;
    s.index = round->offsets[probe_index] + h.probe_index;
    s.segment_id = h.segment_id;
    s.block_count = h.block_count;
    s.has_all = h.complete;
    s.age = h.age;
    offer.segments.push_back(s);
  }
  ++counters_.offers;
  ++round->summary.offers;
  if (round->on_match) round->on_match(std::move(offer));
}

std::vector<ip::tcp::endpoint> DiscoveryProber::Impl::endpoints_of(
    const pccrd::ProbeMatch& match, const ReceivedDatagram& datagram) {
  std::vector<ip::tcp::endpoint> out;
  const ip::address& source = datagram.source.address();
  for (const std::string& entry : match.xaddrs) {
    const auto xaddr = pccrd::parse_xaddr(entry);
    if (!xaddr) continue;  // the decoder stored normalized entries: cannot happen
    const ip::address address =
        usable_host(xaddr->host, source, datagram.interface_index).value_or(source);
    const ip::tcp::endpoint endpoint(address, xaddr->port);
    if (std::find(out.begin(), out.end(), endpoint) == out.end()) out.push_back(endpoint);
  }
  return out;
}

DiscoveryProber::DiscoveryProber(const boost::asio::any_io_executor& executor,
                                 DiscoveryProberOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(options))) {}

DiscoveryProber::~DiscoveryProber() {
  try {
    impl_->stop();
  } catch (...) {
    // Only a failing timer cancel could throw (Asio's never do in practice); the sockets are
    // closed before it, and a destructor must not throw.
  }
}

Expected<void, std::string> DiscoveryProber::start() {
  return impl_->start();
}
void DiscoveryProber::stop() {
  impl_->stop();
}

std::shared_ptr<DiscoveryProbe> DiscoveryProber::probe(pccrd::Version version,
                                                       std::vector<crypto::Digest> segment_ids,
                                                       MatchHandler on_match, DoneHandler on_done) {
  return impl_->probe(version, std::move(segment_ids), std::move(on_match), std::move(on_done));
}

const DiscoveryProberCounters& DiscoveryProber::counters() const noexcept {
  return impl_->counters();
}

std::optional<std::uint16_t> DiscoveryProber::local_port(bool v6) const {
  return impl_->local_port(v6);
}

}  // namespace peerdist::net
