#include "peerdist/net/discovery_interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;

unsigned prefix_of(std::span<const std::uint8_t> mask) {
  unsigned bits = 0;
  for (const std::uint8_t byte : mask) bits += static_cast<unsigned>(std::popcount(byte));
  return bits;
}

// The first `prefix` bits of both byte strings agree.
bool same_prefix(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                 unsigned prefix) {
  const std::size_t whole = std::min<std::size_t>(prefix / 8, a.size());
  if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(whole), b.begin())) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0 || whole >= a.size()) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// getifaddrs names an IPv4 alias address by its label ("eth0:1"); the interface is "eth0".
std::string interface_name(const char* label) {
  std::string name(label);
  if (const auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  return name;
}

struct FreeIfaddrs {
  void operator()(ifaddrs* list) const noexcept { ::freeifaddrs(list); }
};

}  // namespace

std::optional<ip::address_v4> NetworkInterface::first_v4() const {
  for (const InterfaceAddress& a : addresses) {
    if (a.address.is_v4()) return a.address.to_v4();
  }
  return std::nullopt;
}

bool NetworkInterface::has_v6() const {
  return std::any_of(addresses.begin(), addresses.end(),
                     [](const InterfaceAddress& a) { return a.address.is_v6(); });
}

Expected<std::vector<NetworkInterface>, std::string> list_interfaces() {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) {
    return Unexpected(std::string("getifaddrs(): ") +
                      std::strerror(errno));  // NOLINT(concurrency-mt-unsafe)
  }
  const std::unique_ptr<ifaddrs, FreeIfaddrs> list(raw);
  std::map<unsigned, NetworkInterface> by_index;
  for (const ifaddrs* entry = list.get(); entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_name == nullptr) continue;
    const std::string name = interface_name(entry->ifa_name);
    const unsigned index = ::if_nametoindex(name.c_str());
    if (index == 0) continue;  // gone since the dump
    NetworkInterface& interface = by_index[index];
    if (interface.name.empty()) {
      interface.name = name;
      interface.index = index;
    }
    // The flags are the interface's, repeated on each of its entries.
    interface.up = interface.up || (entry->ifa_flags & IFF_UP) != 0;
    interface.loopback = interface.loopback || (entry->ifa_flags & IFF_LOOPBACK) != 0;
    interface.multicast = interface.multicast || (entry->ifa_flags & IFF_MULTICAST) != 0;
    if (entry->ifa_addr == nullptr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      unsigned prefix = 32;
      if (entry->ifa_netmask != nullptr) {
        std::array<std::uint8_t, 4> mask{};
        std::memcpy(mask.data(),
                    &reinterpret_cast<const sockaddr_in*>(entry->ifa_netmask)->sin_addr,
                    mask.size());
        prefix = prefix_of(mask);
      }
      interface.addresses.push_back({ip::address_v4(bytes), prefix});
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      ip::address_v6::bytes_type bytes{};
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      ip::address_v6 address(bytes);
      if (address.is_link_local()) address.scope_id(index);
      unsigned prefix = 128;
      if (entry->ifa_netmask != nullptr) {
        std::array<std::uint8_t, 16> mask{};
        std::memcpy(mask.data(),
                    &reinterpret_cast<const sockaddr_in6*>(entry->ifa_netmask)->sin6_addr,
                    mask.size());
        prefix = prefix_of(mask);
      }
      interface.addresses.push_back({address, prefix});
    }
  }
  std::vector<NetworkInterface> out;
  out.reserve(by_index.size());
  for (auto& [index, interface] : by_index) out.push_back(std::move(interface));
  return out;
}

InterfaceSelection select_interfaces(std::vector<NetworkInterface> all,
                                     std::span<const std::string> names) {
  InterfaceSelection selection;
  if (names.empty()) {
    for (NetworkInterface& interface : all) {
      if (interface.up && interface.multicast && !interface.loopback) {
        selection.interfaces.push_back(std::move(interface));
      }
    }
    return selection;
  }
  for (const std::string& name : names) {
    const auto it = std::find_if(all.begin(), all.end(),
                                 [&](const NetworkInterface& i) { return i.name == name && i.up; });
    if (it == all.end()) {
      selection.missing.push_back(name);
    } else if (find_interface(selection.interfaces, it->index) == nullptr) {
      selection.interfaces.push_back(*it);
    }
  }
  return selection;
}

const NetworkInterface* find_interface(std::span<const NetworkInterface> interfaces,
                                       unsigned index) {
  const auto it = std::find_if(interfaces.begin(), interfaces.end(),
                               [&](const NetworkInterface& i) { return i.index == index; });
  return it == interfaces.end() ? nullptr : &*it;
}

bool on_local_subnet(const NetworkInterface& interface, const ip::address& source) {
  if (source.is_v6() && source.to_v6().is_link_local()) return true;
  return std::ranges::any_of(interface.addresses, [&](const InterfaceAddress& local) {
    if (local.address.is_v4() && source.is_v4()) {
      return same_prefix(local.address.to_v4().to_bytes(), source.to_v4().to_bytes(),
                         local.prefix_length);
    }
    if (local.address.is_v6() && source.is_v6()) {
      return same_prefix(local.address.to_v6().to_bytes(), source.to_v6().to_bytes(),
                         local.prefix_length);
    }
    return false;
  });
}

bool is_local_address(std::span<const NetworkInterface> interfaces, const ip::address& address) {
  for (const NetworkInterface& interface : interfaces) {
    for (const InterfaceAddress& local : interface.addresses) {
      // Compare without the scope id: a link-local source arrives with the receiving
      // interface's index, which may differ from the one the address is configured on.
      if (local.address.is_v6() && address.is_v6()) {
        if (local.address.to_v6().to_bytes() == address.to_v6().to_bytes()) return true;
      } else if (local.address == address) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace peerdist::net
