#include "peerdist/net/tcp_listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <sstream>
#include <utility>

namespace peerdist::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Expected<std::vector<tcp::acceptor>, std::string> listen_on(
    const asio::any_io_executor& executor, const std::vector<tcp::endpoint>& endpoints) {
  std::vector<tcp::acceptor> acceptors;
  for (const tcp::endpoint& endpoint : endpoints) {
    tcp::acceptor acceptor(executor);
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(kListenBacklog, ec);
    if (ec) {
      std::ostringstream where;
      where << endpoint;
      return Unexpected("cannot listen on " + where.str() + ": " + ec.message());
    }
    acceptors.push_back(std::move(acceptor));
  }
  return acceptors;
}

std::vector<tcp::endpoint> local_endpoints_of(const std::vector<tcp::acceptor>& acceptors) {
  std::vector<tcp::endpoint> endpoints;
  for (const auto& acceptor : acceptors) {
    boost::system::error_code ec;
    auto endpoint = acceptor.local_endpoint(ec);
    if (!ec) endpoints.push_back(endpoint);
  }
  return endpoints;
}

}  // namespace peerdist::net
