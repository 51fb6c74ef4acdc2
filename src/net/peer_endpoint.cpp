#include "peerdist/net/peer_endpoint.hpp"

#include <charconv>
#include <cstdint>

namespace peerdist::net {

namespace ip = boost::asio::ip;

namespace {

// Built by append rather than `"'" + std::string(text) + "'"`: GCC 12 at -O3 reports a false
// -Wrestrict overlap inside operator+ on that form (GCC bug 105329).
std::string quote(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted += '\'';
  quoted.append(text);
  quoted += '\'';
  return quoted;
}

}  // namespace

Expected<ip::address, std::string> parse_ip_address(std::string_view text) {
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return Unexpected(quote(text) + " is not an IP address");
  return address;
}

Expected<ip::tcp::endpoint, std::string> parse_peer_endpoint(std::string_view text) {
  const std::string quoted = quote(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Unexpected(quoted + ": no ']' after the address");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return Unexpected(quoted + ": no port (write \"[address]:port\")");
    }
    port = rest.substr(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return Unexpected(quoted + ": no port (write \"host:port\")");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return Unexpected(quoted + ": an IPv6 address goes in brackets (\"[address]:port\")");
    }
    port = text.substr(colon + 1);
  }
  std::uint16_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number == 0) {
    return Unexpected(quoted + ": the port must be a number from 1 to 65535");
  }
  auto address = parse_ip_address(host);
  if (!address) return Unexpected(quoted + ": " + address.error() + " (names are not resolved)");
  return ip::tcp::endpoint(*address, number);
}

std::string to_string(const ip::tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

}  // namespace peerdist::net
