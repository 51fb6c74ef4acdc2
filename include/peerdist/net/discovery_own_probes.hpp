// What this machine's prober has sent, shared with its responder: the prober's multicast comes
// back to the host (IP_MULTICAST_LOOP stays on so that another daemon on the same host hears
// it), and a responder must not answer its own daemon's probe with an offer of segments the
// daemon already holds. A probe is ours when its message ID is one the prober sent lately, or
// when it comes from the prober's socket (same port, one of our addresses).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "peerdist/net/discovery_recent_ids.hpp"

namespace peerdist::net {

class DiscoveryOwnProbes {
 public:
  // Long enough for any looped-back copy of a probe (they arrive within milliseconds, the
  // repeat within kProbeRepeatMaxDelay), short enough to stay small.
  static constexpr std::chrono::seconds kMemory{10};
  // 100 probes/s (the prober's rate limit) for kMemory, with room to spare.
  static constexpr std::size_t kCapacity = 4096;

  void add_message_id(std::string id, RecentIds::Clock::time_point now = RecentIds::Clock::now()) {
    ids_.insert(std::move(id), now);
  }
  [[nodiscard]] bool has_message_id(std::string_view id,
                                    RecentIds::Clock::time_point now = RecentIds::Clock::now()) {
    return ids_.contains(id, now);
  }

  // The prober's local ports, per family (nullopt: no socket of that family).
  void set_prober_ports(std::optional<std::uint16_t> v4, std::optional<std::uint16_t> v6) {
    port_v4_ = v4;
    port_v6_ = v6;
  }
  [[nodiscard]] std::optional<std::uint16_t> prober_port(bool v6) const noexcept {
    return v6 ? port_v6_ : port_v4_;
  }

 private:
  RecentIds ids_{kMemory, kCapacity};
  std::optional<std::uint16_t> port_v4_;
  std::optional<std::uint16_t> port_v6_;
};

}  // namespace peerdist::net
