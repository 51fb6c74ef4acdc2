#include "peerdist/net/discovery_responder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "peerdist/net/discovery_interfaces.hpp"
#include "peerdist/net/discovery_recent_ids.hpp"
#include "peerdist/net/discovery_socket.hpp"
#include "peerdist/wire/pccrd/decode.hpp"
#include "peerdist/wire/pccrd/encode.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"
#include "peerdist/wire/pccrd/xaddr.hpp"

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;
namespace pccrd = wire::pccrd;

// Datagrams read per readiness notification before the other socket and the timers get a
// turn: a flood on one family does not starve the rest of the network thread.
constexpr int kMaxDatagramsPerWake = 64;

// The XAddrs host for an IPv6 probe: the interface's address that is on the prober's subnet,
// else one of the same kind (link-local for a link-local prober), else any. Written without a
// zone: a zone names one of our interfaces, which means nothing to the prober (it applies its
// own when it connects).
std::optional<ip::address_v6> v6_local_address(const NetworkInterface& interface,
                                               const ip::address_v6& source) {
  std::optional<ip::address_v6> same_kind;
  std::optional<ip::address_v6> any;
  for (const InterfaceAddress& a : interface.addresses) {
    if (!a.address.is_v6()) continue;
    const ip::address_v6 local(a.address.to_v6().to_bytes());
    if (!any) any = local;
    if (!source.is_link_local() && !local.is_link_local()) {
      NetworkInterface one;
      one.addresses.push_back({local, a.prefix_length});
      if (on_local_subnet(one, source)) return local;
    }
    if (!same_kind && local.is_link_local() == source.is_link_local()) same_kind = local;
  }
  return same_kind ? same_kind : any;
}

}  // namespace

class DiscoveryResponder::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(const boost::asio::any_io_executor& executor, SegmentSource& source,
       DiscoveryResponderOptions options)
      : executor_(executor),
        source_(source),
        options_(std::move(options)),
        v4_(executor),
        v6_(executor),
        rescan_timer_(executor) {}

  Expected<void, std::string> start();
  void stop();
  void rescan_interfaces();

  [[nodiscard]] const DiscoveryResponderCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const std::string& endpoint_address() const noexcept { return endpoint_address_; }
  [[nodiscard]] std::uint32_t instance_id() const noexcept { return instance_id_; }

  [[nodiscard]] bool ipv6_active() const noexcept {
    return v6_.socket.is_open() && !v6_.joined.empty();
  }
  [[nodiscard]] std::vector<unsigned> joined_v4() const {
    return {v4_.joined.begin(), v4_.joined.end()};
  }

 private:
  struct Family {
    explicit Family(const boost::asio::any_io_executor& executor) : socket(executor) {}
    ip::udp::socket socket;
    std::set<unsigned> joined;  // interface indices
  };

  // Where a probe came from and in on: what its answer needs.
  struct Arrival {
    ip::udp::endpoint source;
    unsigned interface_index = 0;
    std::optional<ip::address> local_address;
  };

  void join_all(Family& family, const ip::address& group);
  void wait_readable(Family& family);
  void drain(Family& family);
  void handle(const ReceivedDatagram& datagram);
  [[nodiscard]] bool is_own(const pccrd::Probe& probe, const ip::udp::endpoint& source);
  void answer(pccrd::Probe probe, const Arrival& arrival,
              std::vector<std::optional<SegmentHoldings>> holdings);
  [[nodiscard]] std::optional<std::vector<std::string>> xaddrs_for(const Arrival& arrival) const;
  void send(const pccrd::Probe& probe, pccrd::ProbeMatch match, const Arrival& arrival);
  void schedule_rescan();

  boost::asio::any_io_executor executor_;
  SegmentSource& source_;
  DiscoveryResponderOptions options_;
  DiscoveryResponderCounters counters_;
  std::string endpoint_address_;  // fixed per start
  std::uint32_t instance_id_ = 0;
  std::vector<std::string> advertise_;        // normalized
  std::vector<NetworkInterface> interfaces_;  // the discovery interfaces at the last scan
  std::vector<NetworkInterface> all_interfaces_;
  Family v4_;
  Family v6_;
  boost::asio::steady_timer rescan_timer_;
  std::set<std::shared_ptr<boost::asio::steady_timer>> reply_timers_;
  RecentIds handled_{kDuplicateMemory, kDuplicateCapacity};
  std::vector<std::uint8_t> buffer_;
  std::size_t pending_ = 0;
  std::uint32_t message_number_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

Expected<void, std::string> DiscoveryResponder::Impl::start() {
  if (started_) return Unexpected(std::string("discovery responder: already started"));
  if (options_.advertise.empty() && options_.pccrr_port == 0) {
    return Unexpected(std::string("discovery responder: no PCCRR port to advertise"));
  }
  for (const std::string& entry : options_.advertise) {
    auto normal = pccrd::normalize_xaddr(entry);
    if (!normal) {
      return Unexpected("discovery responder: cannot advertise \"" + entry + "\" (want host:port)");
    }
    advertise_.push_back(std::move(*normal));
  }
  if (!options_.delay) options_.delay = uniform_delay_picker();
  if (options_.max_delay < kMinReplyDelay) options_.max_delay = kMinReplyDelay;
  instance_id_ = options_.instance_id.value_or(
      static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()));
  endpoint_address_ = pccrd::new_message_id();
  buffer_.resize(pccrd::kMaxDatagramSize + 1);

  std::error_code v4_error = std::make_error_code(std::errc::address_family_not_supported);
  if (options_.ipv4)
    v4_error = open_discovery_socket(v4_.socket, ip::udp::v4(), options_.port, true);
  if (v4_error && options_.ipv4) {
    spdlog::warn("discovery: cannot listen on UDP {} over IPv4: {}", options_.port,
                 v4_error.message());
    boost::system::error_code ignored;
    v4_.socket.close(ignored);
  }
  if (options_.ipv6) {
    if (const std::error_code e =
            open_discovery_socket(v6_.socket, ip::udp::v6(), options_.port, true)) {
      spdlog::info("discovery: IPv6 unavailable ({}); answering over IPv4 only", e.message());
      boost::system::error_code ignored;
      v6_.socket.close(ignored);
    }
  }
  if (!v4_.socket.is_open() && !v6_.socket.is_open()) {
    return Unexpected("discovery responder: cannot listen on UDP port " +
                      std::to_string(options_.port) + ": " + v4_error.message());
  }
  started_ = true;
  rescan_interfaces();
  if (v4_.socket.is_open()) wait_readable(v4_);
  if (v6_.socket.is_open()) wait_readable(v6_);
  schedule_rescan();
  return {};
}

void DiscoveryResponder::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  v4_.socket.close(ignored);
  v6_.socket.close(ignored);
  rescan_timer_.cancel();
  for (const auto& timer : reply_timers_) timer->cancel();
  reply_timers_.clear();
}

void DiscoveryResponder::Impl::rescan_interfaces() {
  if (!started_ || stopped_) return;
  auto all = list_interfaces();
  if (!all) {
    spdlog::warn("discovery: {}", all.error());
    return;
  }
  all_interfaces_ = *all;
  InterfaceSelection selection = select_interfaces(std::move(*all), options_.interfaces);
  for (const std::string& name : selection.missing) {
    spdlog::warn("discovery: interface {} not found or down; not listening on it", name);
  }
  interfaces_ = std::move(selection.interfaces);
  // An interface that went away took its memberships with it; its index may come back as
  // another interface, which must then be joined anew.
  for (Family* family : {&v4_, &v6_}) {
    std::erase_if(family->joined, [&](unsigned index) {
      return find_interface(all_interfaces_, index) == nullptr;
    });
  }
  if (v4_.socket.is_open()) join_all(v4_, ip::make_address(pccrd::kMulticastIpv4));
  if (v6_.socket.is_open()) join_all(v6_, ip::make_address(pccrd::kMulticastIpv6));
}

void DiscoveryResponder::Impl::join_all(Family& family, const ip::address& group) {
  for (const NetworkInterface& interface : interfaces_) {
    if (family.joined.contains(interface.index)) continue;
    if (group.is_v6() && !interface.has_v6()) continue;  // IPv6 off on that interface
    if (const std::error_code e = join_group(family.socket, group, interface.index)) {
      // Logged once per scan; IPv6 trouble is common and harmless (IPv4 still works).
      if (group.is_v6()) {
        spdlog::info("discovery: cannot join {} on {}: {}", group.to_string(), interface.name,
                     e.message());
      } else {
        spdlog::warn("discovery: cannot join {} on {}: {}", group.to_string(), interface.name,
                     e.message());
      }
      continue;
    }
    family.joined.insert(interface.index);
  }
}

void DiscoveryResponder::Impl::schedule_rescan() {
  rescan_timer_.expires_after(kInterfaceRescanInterval);
  rescan_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->rescan_interfaces();
    self->schedule_rescan();
  });
}

void DiscoveryResponder::Impl::wait_readable(Family& family) {
  family.socket.async_wait(ip::udp::socket::wait_read, [self = shared_from_this(), &family](
                                                           const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->drain(family);
  });
}

void DiscoveryResponder::Impl::drain(Family& family) {
  for (int i = 0; i < kMaxDatagramsPerWake && !stopped_; ++i) {
    auto datagram = receive_datagram(family.socket, buffer_);
    if (!datagram) {
      if (datagram.error() != std::errc::operation_would_block) {
        spdlog::debug("discovery: receive: {}", datagram.error().message());
        continue;  // ICMP errors and the like: the next datagram may be fine
      }
      break;
    }
    handle(*datagram);
  }
  if (!stopped_) wait_readable(family);
}

void DiscoveryResponder::Impl::handle(const ReceivedDatagram& datagram) {
  ++counters_.received;
  // Probes only count on the discovery interfaces (the port also takes unicast from anywhere).
  if (find_interface(interfaces_, datagram.interface_index) == nullptr) {
    ++counters_.not_for_us;
    return;
  }
  if (datagram.truncated || datagram.size > pccrd::kMaxDatagramSize) {
    ++counters_.malformed;
    return;
  }
  auto decoded = pccrd::decode_probe(std::span(buffer_).first(datagram.size));
  if (!decoded) {
    ++counters_.malformed;
    spdlog::debug("discovery: malformed probe from {}: {}", datagram.source.address().to_string(),
                  decoded.error().message());
    return;
  }
  if (std::holds_alternative<pccrd::NotForUs>(*decoded)) {
    ++counters_.not_for_us;
    return;
  }
  pccrd::Probe probe = std::get<pccrd::Probe>(std::move(*decoded));
  if (is_own(probe, datagram.source)) {
    ++counters_.own;
    return;
  }
  // Once per family: a prober that probes over both (iPXE does) gets an XAddr of each, and can
  // use at least one (iPXE cannot use an IPv6 link-local one).
  const char* family = datagram.source.address().is_v4() ? "4 " : "6 ";
  if (!handled_.insert(family + probe.message_id, RecentIds::Clock::now())) {
    ++counters_.duplicates;
    return;
  }
  if (pending_ >= kMaxPendingProbes) {
    ++counters_.dropped;
    return;
  }
  ++counters_.probes;
  ++pending_;
  Arrival arrival{datagram.source, datagram.interface_index, datagram.local_address};
  std::vector<crypto::Digest> ids = probe.segment_ids;
  source_.holdings(std::move(ids), [self = shared_from_this(), probe = std::move(probe), arrival](
                                       std::vector<std::optional<SegmentHoldings>> held) mutable {
    if (self->stopped_) return;
    self->answer(std::move(probe), arrival, std::move(held));
  });
}

bool DiscoveryResponder::Impl::is_own(const pccrd::Probe& probe, const ip::udp::endpoint& source) {
  if (!options_.own_probes) return false;
  if (options_.own_probes->has_message_id(probe.message_id)) return true;
  const auto port = options_.own_probes->prober_port(source.address().is_v6());
  return port.has_value() && *port == source.port() &&
         is_local_address(all_interfaces_, source.address());
}

void DiscoveryResponder::Impl::answer(pccrd::Probe probe, const Arrival& arrival,
                                      std::vector<std::optional<SegmentHoldings>> holdings) {
  // The service answers one entry per ID; anything missing counts as not held.
  holdings.resize(probe.segment_ids.size());
  pccrd::ProbeMatch match;
  if (probe.version == pccrd::Version::v1) {
    pccrd::ProbeMatchV1 v1;
    std::vector<crypto::Digest> listed;
    for (std::size_t i = 0; i < holdings.size(); ++i) {
      const auto& h = holdings[i];
      if (!h || !h->any()) continue;
      const crypto::Digest& id = probe.segment_ids[i];
      if (std::find(listed.begin(), listed.end(), id) != listed.end()) continue;
      listed.push_back(id);
      v1.segments.push_back({id, h->present_count});
    }
    if (!v1.segments.empty()) match.held = std::move(v1);
  } else {
    pccrd::ProbeMatchV2 v2;
    pccrd::SegmentAges ages;
    ages.units = pccrd::AgeUnit::centiseconds;  // A19
    bool any = false;
    for (std::size_t i = 0; i < holdings.size(); ++i) {
      const auto& h = holdings[i];
      const bool some = h && h->any();
      v2.segments.push_back({some, some && h->complete()});
      if (!some) continue;
      any = true;
      // A v2 probe has at most 255 segments (its count is one byte), so i fits the index.
      ages.entries.push_back(
          {static_cast<std::uint8_t>(i),
           pccrd::encode_age(ages.units,
                             std::chrono::duration_cast<std::chrono::milliseconds>(h->age))});
    }
    if (any) {
      v2.ages = std::move(ages);
      match.held = std::move(v2);
    }
  }
  const bool held = std::visit([](const auto& h) { return !h.segments.empty(); }, match.held);
  if (!held) {
    ++counters_.not_held;
    --pending_;
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_);
  reply_timers_.insert(timer);
  timer->expires_after(options_.delay(kMinReplyDelay, options_.max_delay));
  timer->async_wait([self = shared_from_this(), timer, probe = std::move(probe),
                     match = std::move(match),
                     arrival](const boost::system::error_code& ec) mutable {
    self->reply_timers_.erase(timer);
    if (ec || self->stopped_) return;
    --self->pending_;
    self->send(probe, std::move(match), arrival);
  });
}

std::optional<std::vector<std::string>> DiscoveryResponder::Impl::xaddrs_for(
    const Arrival& arrival) const {
  if (!advertise_.empty()) return advertise_;
  const NetworkInterface* interface = find_interface(interfaces_, arrival.interface_index);
  pccrd::XAddr xaddr;
  xaddr.port = options_.pccrr_port;
  if (arrival.source.address().is_v4()) {
    std::optional<ip::address_v4> local;
    if (arrival.local_address && arrival.local_address->is_v4()) {
      local = arrival.local_address->to_v4();
    } else if (interface != nullptr) {
      local = interface->first_v4();
    }
    if (!local) return std::nullopt;
    xaddr.host = local->to_string();
  } else {
    if (interface == nullptr) return std::nullopt;
    const auto local = v6_local_address(*interface, arrival.source.address().to_v6());
    if (!local) return std::nullopt;
    xaddr.host = local->to_string();
  }
  return std::vector<std::string>{pccrd::to_string(xaddr)};
}

void DiscoveryResponder::Impl::send(const pccrd::Probe& probe, pccrd::ProbeMatch match,
                                    const Arrival& arrival) {
  auto xaddrs = xaddrs_for(arrival);
  if (!xaddrs) {
    ++counters_.send_errors;
    spdlog::debug("discovery: no local address on interface {} to advertise",
                  arrival.interface_index);
    return;
  }
  match.message_id = pccrd::new_message_id();
  match.relates_to = probe.message_id;
  match.app_sequence = {instance_id_, ++message_number_};
  match.endpoint_address = endpoint_address_;
  match.xaddrs = std::move(*xaddrs);
  std::string text;
  try {
    text = pccrd::encode_probe_match(match);
  } catch (const std::invalid_argument& e) {
    // Only a value the service handed over could cause it (the probe itself decoded).
    ++counters_.send_errors;
    spdlog::warn("discovery: cannot encode a ProbeMatch: {}", e.what());
    return;
  }
  Family& family = arrival.source.address().is_v4() ? v4_ : v6_;
  const std::optional<ip::address> from =
      arrival.source.address().is_v4() ? arrival.local_address : std::nullopt;
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (const std::error_code e =
          send_datagram(family.socket, bytes, arrival.source, from, arrival.interface_index)) {
    ++counters_.send_errors;
    spdlog::debug("discovery: ProbeMatch to {}: {}", arrival.source.address().to_string(),
                  e.message());
    return;
  }
  ++counters_.answered;
}

DiscoveryResponder::DiscoveryResponder(const boost::asio::any_io_executor& executor,
                                       SegmentSource& source, DiscoveryResponderOptions options)
    : impl_(std::make_shared<Impl>(executor, source, std::move(options))) {}

DiscoveryResponder::~DiscoveryResponder() {
  try {
    impl_->stop();
  } catch (...) {
    // Only a failing timer cancel could throw (Asio's never do in practice); the sockets are
    // closed before it, and a destructor must not throw.
  }
}

Expected<void, std::string> DiscoveryResponder::start() {
  return impl_->start();
}
void DiscoveryResponder::stop() {
  impl_->stop();
}
void DiscoveryResponder::rescan_interfaces() {
  impl_->rescan_interfaces();
}
const DiscoveryResponderCounters& DiscoveryResponder::counters() const noexcept {
  return impl_->counters();
}
const std::string& DiscoveryResponder::endpoint_address() const noexcept {
  return impl_->endpoint_address();
}
std::uint32_t DiscoveryResponder::instance_id() const noexcept {
  return impl_->instance_id();
}
bool DiscoveryResponder::ipv6_active() const noexcept {
  return impl_->ipv6_active();
}
std::vector<unsigned> DiscoveryResponder::joined_interfaces() const {
  return impl_->joined_v4();
}

}  // namespace peerdist::net
