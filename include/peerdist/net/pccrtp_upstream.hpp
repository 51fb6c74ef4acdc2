// The upstream origin of `peerdist serve --upstream URL` (docs/pccrtp.md, "Reverse proxy"):
// where requests are forwarded, how long the proxy waits for it, and what identifies one
// version of an upstream resource for the hash cache.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "peerdist/util/expected.hpp"

namespace peerdist::net {

struct PccrtpUpstream {
  // Resolving and connecting; past it the client gets 504. Loopback and LAN origins connect
  // in milliseconds, a WAN origin in well under a second: 10 s means it is down.
  static constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};
  // Waiting for the response header, and for each piece of the body: the origin's own send
  // timeout (PccrtpOriginOptions::kDefaultSendTimeout), so a slow disk behind the upstream is
  // waited for as long as a slow client is.
  static constexpr std::chrono::milliseconds kDefaultResponseTimeout{60'000};

  std::string host;  // a name or an address (an IPv6 one without brackets)
  std::uint16_t port = 80;
  std::string base_path;  // "" or "/prefix", without a trailing '/'
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::chrono::milliseconds response_timeout = kDefaultResponseTimeout;

  // The Host field sent upstream: "host" (port 80) or "host:port", IPv6 in brackets.
  [[nodiscard]] std::string host_field() const;
  // The upstream target for a client's origin-form target: base_path + target.
  [[nodiscard]] std::string target_for(std::string_view client_target) const;
  // "http://" + host_field() + target_for(client_target): the hash cache's resource name.
  [[nodiscard]] std::string url_for(std::string_view client_target) const;
};

// "http://host[:port][/prefix]". https:// is refused (no TLS client yet), as are user info,
// a query or a fragment in the prefix, and an empty host.
[[nodiscard]] Expected<PccrtpUpstream, std::string> parse_upstream_url(std::string_view url);

// One version of an upstream resource: what the hash cache keys an upstream CI by. The
// validators are the upstream's own; a change of any of them (or of the length) is another
// version, so a CI is only ever served for the representation it was built from.
struct UpstreamIdentity {
  std::string url;            // url_for() of the request
  std::string etag;           // a strong ETag, or "" (weak ones do not identify bytes)
  std::string last_modified;  // the field as sent, or ""
  std::uint64_t length = 0;   // Content-Length of the 200
  friend bool operator==(const UpstreamIdentity&, const UpstreamIdentity&) = default;
};

}  // namespace peerdist::net
