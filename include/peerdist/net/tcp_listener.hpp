// Listening sockets of the HTTP endpoints (the PCCRR server, the PCCRTP origin): one acceptor
// per configured endpoint, all or none.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"

namespace peerdist::net {

// Connections waiting to be accepted per socket: enough for a burst of peers or clients
// between two turns of the accept loop.
inline constexpr int kListenBacklog = 128;

// Acceptors (on `executor`, usually the endpoint's strand) bound and listening on every one of
// `endpoints`, or why one could not be ("cannot listen on 0.0.0.0:80: Permission denied"); none
// stays open then. SO_REUSEADDR, so a restarted daemon rebinds at once; an IPv6 endpoint is
// that address only (IPV6_V6ONLY), so that "::" and "0.0.0.0" can both be listed.
[[nodiscard]] Expected<std::vector<boost::asio::ip::tcp::acceptor>, std::string> listen_on(
    const boost::asio::any_io_executor& executor,
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);

// Where the acceptors listen (port 0 resolved); an acceptor that cannot say is left out.
[[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint> local_endpoints_of(
    const std::vector<boost::asio::ip::tcp::acceptor>& acceptors);

}  // namespace peerdist::net
