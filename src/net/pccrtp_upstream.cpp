#include "peerdist/net/pccrtp_upstream.hpp"

#include <charconv>

namespace peerdist::net {

namespace {

constexpr std::string_view kHttpScheme = "http://";
constexpr std::string_view kHttpsScheme = "https://";
constexpr std::uint16_t kDefaultHttpPort = 80;

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t n = 0; n < prefix.size(); ++n) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(text[n]) != prefix[n]) return false;
  }
  return true;
}

}  // namespace

std::string PccrtpUpstream::host_field() const {
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict overlap inside
  // operator+ on `":" + std::to_string(...)` (GCC bug 105329), which broke the release build.
  std::string out;
  if (host.find(':') != std::string::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out = host;
  }
  if (port != kDefaultHttpPort) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string PccrtpUpstream::target_for(std::string_view client_target) const {
  return base_path + std::string(client_target);
}

std::string PccrtpUpstream::url_for(std::string_view client_target) const {
  return std::string(kHttpScheme) + host_field() + target_for(client_target);
}

Expected<PccrtpUpstream, std::string> parse_upstream_url(std::string_view url) {
  const std::string quoted = "--upstream " + std::string(url) + ": ";
  if (starts_with_ci(url, kHttpsScheme)) {
    return Unexpected(quoted + "https:// upstreams are not supported yet (use http://)");
  }
  if (!starts_with_ci(url, kHttpScheme))
    return Unexpected(quoted + "expected http://HOST[:PORT][/PREFIX]");
  std::string_view rest = url.substr(kHttpScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return Unexpected(quoted + "user info is not supported");
  if (path.find_first_of("?#") != std::string_view::npos ||
      authority.find_first_of("?#") != std::string_view::npos) {
    return Unexpected(quoted + "a query or fragment cannot be a prefix");
  }
  PccrtpUpstream upstream;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Unexpected(quoted + "unterminated [IPv6] address");
    upstream.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return Unexpected(quoted + "garbage after ]");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    upstream.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (upstream.host.empty()) return Unexpected(quoted + "no host");
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Unexpected(quoted + "not a port");
    }
    upstream.port = static_cast<std::uint16_t>(value);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  upstream.base_path = std::string(path);
  return upstream;
}

}  // namespace peerdist::net
