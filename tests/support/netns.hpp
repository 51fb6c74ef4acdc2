// Network namespaces for tests that need a real network (multicast discovery, several hosts):
// a test makes its own, so that it neither touches the machine's interfaces nor sees them.
//
// Names are "peerdist-test-<pid>-<n>-<label>": recognisable, and unique per test process.
// Everything inside a namespace (interfaces, addresses in private ranges, routes) goes with it;
// a bridged network keeps its bridge and veth ends in a hub namespace of its own, so that
// nothing is ever created in the machine's namespace except the namespace names. Deletion is
// RAII; a namespace left by a crashed run (its pid gone) is deleted when the next test process
// makes its first namespace.
//
// Creating namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2: tests check
// netns_unavailable_reason() first and GTEST_SKIP with it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace peerdist::test {

inline constexpr std::string_view kNetnsPrefix = "peerdist-test-";

// Empty when this process can make network namespaces; otherwise why not (for GTEST_SKIP).
[[nodiscard]] std::string netns_unavailable_reason();

// Deletes the namespaces of test processes that no longer run.
void remove_stale_namespaces();

class NetworkNamespace {
 public:
  // Creates it (`ip netns add`) with lo down, as the kernel makes it. Fails the current test
  // (ADD_FAILURE) and stays !valid() when that does not work.
  explicit NetworkNamespace(std::string_view label);
  ~NetworkNamespace();
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  NetworkNamespace(NetworkNamespace&&) = delete;
  NetworkNamespace& operator=(NetworkNamespace&&) = delete;

  [[nodiscard]] bool valid() const noexcept { return valid_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // Runs a program inside (`ip netns exec <name> argv...`; argv[0] is looked up in PATH).
  [[nodiscard]] ProcessResult exec(const std::vector<std::string>& argv) const;
  // `ip -n <name> args...`; fails the current test and returns false when it fails.
  [[nodiscard]] bool ip(const std::vector<std::string>& args) const;
  // Writes a sysctl of the namespace (e.g. "net/ipv6/conf/default/accept_dad", "0").
  [[nodiscard]] bool sysctl(const std::string& key, const std::string& value) const;

  // lo up with multicast on, with routes that send 224.0.0.0/4 and ff00::/8 over it: a one-host
  // network on which multicast works (lo is neither up nor multicast-capable by default).
  [[nodiscard]] bool set_up_loopback_multicast() const;

 private:
  std::string name_;
  bool valid_ = false;
};

// Puts the calling thread into a namespace until destroyed (setns), then back where it was.
// Sockets (and netlink queries such as getifaddrs) made meanwhile belong to that namespace,
// and stay there after the thread leaves.
class EnterNamespace {
 public:
  explicit EnterNamespace(const NetworkNamespace& ns);
  ~EnterNamespace();
  EnterNamespace(const EnterNamespace&) = delete;
  EnterNamespace& operator=(const EnterNamespace&) = delete;
  EnterNamespace(EnterNamespace&&) = delete;
  EnterNamespace& operator=(EnterNamespace&&) = delete;
  [[nodiscard]] bool entered() const noexcept { return entered_; }

 private:
  int original_ = -1;
  bool entered_ = false;
};

// `hosts` namespaces on one Ethernet segment: each has eth0 (a veth whose other end is on a
// bridge in a hub namespace) with 10.<subnet>.0.<i+1>/24, lo up, IPv6 link-local addresses
// without duplicate address detection (usable at once), and multicast snooping off on the
// bridge (so that multicast floods without an IGMP querier).
class BridgedNetwork {
 public:
  BridgedNetwork(std::size_t hosts, unsigned subnet);
  BridgedNetwork(const BridgedNetwork&) = delete;
  BridgedNetwork& operator=(const BridgedNetwork&) = delete;
  BridgedNetwork(BridgedNetwork&&) = delete;
  BridgedNetwork& operator=(BridgedNetwork&&) = delete;
  ~BridgedNetwork();

  [[nodiscard]] bool valid() const noexcept { return valid_; }
  [[nodiscard]] std::size_t size() const noexcept { return hosts_.size(); }
  [[nodiscard]] const NetworkNamespace& host(std::size_t i) const { return *hosts_.at(i); }
  [[nodiscard]] std::string address(std::size_t i) const;  // "10.<subnet>.0.<i+1>"
  static constexpr const char* kInterface = "eth0";

 private:
  unsigned subnet_ = 0;
  std::unique_ptr<NetworkNamespace> hub_;
  std::vector<std::unique_ptr<NetworkNamespace>> hosts_;
  bool valid_ = false;
};

}  // namespace peerdist::test
