// The network interfaces MS-PCCRD runs on (spec digest §2.1): probes go out on, and the
// responder listens on, every up, multicast-capable, non-loopback interface unless the
// configuration names them (`[distributed] discovery_interfaces`); and a ProbeMatch counts only
// when it comes from the local subnet of the interface it arrived on.
//
// Everything here reads the interfaces of the calling thread's network namespace (getifaddrs
// opens a netlink socket in it): call it on the thread that owns the discovery sockets.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"

namespace peerdist::net {

struct InterfaceAddress {
  // An IPv6 link-local address carries the interface index as its scope id.
  boost::asio::ip::address address;
  unsigned prefix_length = 0;
};

struct NetworkInterface {
  std::string name;
  unsigned index = 0;
  bool up = false;
  bool loopback = false;
  bool multicast = false;
  std::vector<InterfaceAddress> addresses;

  [[nodiscard]] std::optional<boost::asio::ip::address_v4> first_v4() const;
  [[nodiscard]] bool has_v6() const;
};

// Every interface with its addresses, in index order.
[[nodiscard]] Expected<std::vector<NetworkInterface>, std::string> list_interfaces();

struct InterfaceSelection {
  std::vector<NetworkInterface> interfaces;
  std::vector<std::string> missing;  // names asked for that do not exist (or are down)
};

// The interfaces discovery uses out of `all`: with `names` empty, every up, multicast-capable,
// non-loopback one (loopback reaches no peer); otherwise those named that are up, in the order
// named, loopback included (tests run discovery on `lo` inside a namespace).
[[nodiscard]] InterfaceSelection select_interfaces(std::vector<NetworkInterface> all,
                                                   std::span<const std::string> names);

// The interface with this index, if listed.
[[nodiscard]] const NetworkInterface* find_interface(std::span<const NetworkInterface> interfaces,
                                                     unsigned index);

// Whether `source` lies in the prefix of one of the interface's addresses: the local-subnet
// rule of §2.1 for ProbeMatches. An IPv6 link-local source is on the link by definition.
[[nodiscard]] bool on_local_subnet(const NetworkInterface& interface,
                                   const boost::asio::ip::address& source);

// Whether `address` is one of the addresses of these interfaces.
[[nodiscard]] bool is_local_address(std::span<const NetworkInterface> interfaces,
                                    const boost::asio::ip::address& address);

}  // namespace peerdist::net
