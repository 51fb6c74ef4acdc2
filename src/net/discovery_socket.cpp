#include "peerdist/net/discovery_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace peerdist::net {
namespace {

namespace ip = boost::asio::ip;

std::error_code last_error() {
  return {errno, std::system_category()};
}

std::error_code from_boost(const boost::system::error_code& ec) {
  return ec ? std::error_code(ec.value(), std::system_category()) : std::error_code();
}

template <class T>
std::error_code set_int_option(ip::udp::socket& socket, int level, int name, T value) {
  if (::setsockopt(socket.native_handle(), level, name, &value, sizeof value) != 0) {
    return last_error();
  }
  return {};
}

// Room for one packet-info message of either family (the kernel sends at most one).
// The socket's family, from its bound address (each discovery socket is bound at open).
bool is_v4(ip::udp::socket& socket) {
  boost::system::error_code ec;
  return socket.local_endpoint(ec).address().is_v4();
}

constexpr std::size_t kControlSize =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

}  // namespace

std::error_code open_discovery_socket(ip::udp::socket& socket, ip::udp protocol, std::uint16_t port,
                                      bool share_port) {
  const int fd = ::socket(protocol.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  boost::system::error_code ec;
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return from_boost(ec);
  }
  const bool v6 = protocol == ip::udp::v6();
  if (v6) {
    if (auto e = set_int_option(socket, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return e;
    if (auto e = set_int_option(socket, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) return e;
#ifdef IPV6_MULTICAST_ALL
    // As IP_MULTICAST_ALL below (Linux 4.20+; older kernels keep the default, harmless).
    (void)set_int_option(socket, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
#endif
  } else {
    if (auto e = set_int_option(socket, IPPROTO_IP, IP_PKTINFO, 1)) return e;
    // Only the groups this socket joined, not every group some other socket of the host joined
    // on the same port (Linux's default, surprising for a shared port).
    if (auto e = set_int_option(socket, IPPROTO_IP, IP_MULTICAST_ALL, 0)) return e;
  }
  if (share_port) {
    if (auto e = set_int_option(socket, SOL_SOCKET, SO_REUSEADDR, 1)) return e;
    if (auto e = set_int_option(socket, SOL_SOCKET, SO_REUSEPORT, 1)) return e;
  }
  const ip::udp::endpoint local(
      v6 ? ip::address(ip::address_v6::any()) : ip::address(ip::address_v4::any()), port);
  socket.bind(local, ec);
  return from_boost(ec);
}

Expected<ReceivedDatagram, std::error_code> receive_datagram(ip::udp::socket& socket,
                                                             std::span<std::uint8_t> buffer) {
  ip::udp::endpoint source;
  iovec vector{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::array<std::uint8_t, kControlSize> control{};
  msghdr message{};
  message.msg_name = source.data();
  message.msg_namelen = static_cast<socklen_t>(source.capacity());
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t n = -1;
  do {
    n = ::recvmsg(socket.native_handle(), &message, MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) {  // EWOULDBLOCK is the same value on Linux
      return Unexpected(std::make_error_code(std::errc::operation_would_block));
    }
    return Unexpected(last_error());
  }
  source.resize(message.msg_namelen);
  ReceivedDatagram out;
  // With MSG_TRUNC, recvmsg returns the datagram's real length.
  out.truncated =
      (message.msg_flags & MSG_TRUNC) != 0 || static_cast<std::size_t>(n) > buffer.size();
  out.size = std::min(static_cast<std::size_t>(n), buffer.size());
  out.source = source;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      out.interface_index = static_cast<unsigned>(info.ipi_ifindex);
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &info.ipi_spec_dst, bytes.size());
      const ip::address_v4 local(bytes);
      if (!local.is_unspecified() && !local.is_multicast()) out.local_address = local;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      out.interface_index = info.ipi6_ifindex;
    }
  }
  return out;
}

std::error_code send_datagram(ip::udp::socket& socket, std::span<const std::uint8_t> bytes,
                              const ip::udp::endpoint& to, const std::optional<ip::address>& from,
                              unsigned interface_index) {
  ip::udp::endpoint destination = to;
  iovec vector{const_cast<std::uint8_t*>(bytes.data()),
               bytes.size()};  // NOLINT: sendmsg's iovec is not const
  alignas(cmsghdr) std::array<std::uint8_t, kControlSize> control{};
  msghdr message{};
  message.msg_name = destination.data();
  message.msg_namelen = static_cast<socklen_t>(destination.size());
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  if (from.has_value() || interface_index != 0) {
    message.msg_control = control.data();
    cmsghdr* c = nullptr;
    if (to.address().is_v4()) {
      message.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      info.ipi_ifindex = static_cast<int>(interface_index);
      if (from.has_value() && from->is_v4()) {
        const auto b = from->to_v4().to_bytes();
        std::memcpy(&info.ipi_spec_dst, b.data(), b.size());
      }
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
      message.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      info.ipi6_ifindex = interface_index;
      if (from.has_value() && from->is_v6()) {
        const auto b = from->to_v6().to_bytes();
        std::memcpy(&info.ipi6_addr, b.data(), b.size());
      }
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
  }
  ssize_t n = -1;
  do {
    n = ::sendmsg(socket.native_handle(), &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? last_error() : std::error_code();
}

std::error_code join_group(ip::udp::socket& socket, const ip::address& group,
                           unsigned interface_index) {
  if (group.is_v4()) {
    ip_mreqn request{};
    const auto b = group.to_v4().to_bytes();
    std::memcpy(&request.imr_multiaddr, b.data(), b.size());
    request.imr_ifindex = static_cast<int>(interface_index);
    return set_int_option(socket, IPPROTO_IP, IP_ADD_MEMBERSHIP, request);
  }
  ipv6_mreq request{};
  const auto b = group.to_v6().to_bytes();
  std::memcpy(&request.ipv6mr_multiaddr, b.data(), b.size());
  request.ipv6mr_interface = interface_index;
  return set_int_option(socket, IPPROTO_IPV6, IPV6_JOIN_GROUP, request);
}

std::error_code set_multicast_interface(ip::udp::socket& socket, unsigned interface_index,
                                        const std::optional<ip::address_v4>& source) {
  if (is_v4(socket)) {
    ip_mreqn request{};
    request.imr_ifindex = static_cast<int>(interface_index);
    if (source) {
      const auto b = source->to_bytes();
      std::memcpy(&request.imr_address, b.data(), b.size());
    }
    return set_int_option(socket, IPPROTO_IP, IP_MULTICAST_IF, request);
  }
  return set_int_option(socket, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(interface_index));
}

std::error_code set_multicast_scope(ip::udp::socket& socket, int hops, bool loop) {
  if (is_v4(socket)) {
    if (auto e = set_int_option(socket, IPPROTO_IP, IP_MULTICAST_TTL, hops)) return e;
    return set_int_option(socket, IPPROTO_IP, IP_MULTICAST_LOOP, loop ? 1 : 0);
  }
  if (auto e = set_int_option(socket, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops)) return e;
  return set_int_option(socket, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop ? 1 : 0);
}

}  // namespace peerdist::net
