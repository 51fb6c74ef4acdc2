// A small blocking HTTP/1.1 client for `peerdist get` (Boost.Beast over TCP, or over TLS for
// https:// URLs): one connection at a time per object, every step under a deadline, the body
// read in pieces so that a large download never sits in memory.
//
// TLS: OpenSSL's default trust store (the system's CA certificates; SSL_CERT_FILE and
// SSL_CERT_DIR point it elsewhere), the server's certificate checked against the URL's host
// name, SNI sent, TLS 1.2 at least. There is no switch to skip verification: content that
// BranchCache verifies block by block is still only as trustworthy as the content
// information, and that comes over this connection.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "peerdist/util/expected.hpp"

namespace peerdist::cli {

// An http:// or https:// URL, split.
struct Url {
  bool tls = false;    // https
  std::string host;    // as written (an IPv6 literal without its brackets)
  std::string port;    // "80" (http) or "443" (https) when not given
  std::string target;  // path and query, at least "/"
  [[nodiscard]] std::string default_port() const { return tls ? "443" : "80"; }
  [[nodiscard]] std::string host_header() const;
  [[nodiscard]] std::string text() const;
};

Expected<Url, std::string> parse_url(std::string_view text);
// Where a Location header points, relative to the URL that answered it.
Expected<Url, std::string> resolve_location(const Url& base, std::string_view location);
// The last path segment of the URL (the default output name), or "" when there is none.
std::string last_path_segment(const Url& url);

// The head of a response.
struct ResponseHead {
  unsigned status = 0;
  boost::beast::http::fields fields;
  std::optional<std::uint64_t> content_length;
  [[nodiscard]] std::string field(std::string_view name) const;
};

// One connection to one host. request() sends a GET and reads the response head; read_body()
// then reads the body in pieces. After the body ended, another request may reuse the
// connection when the server keeps it alive.
class HttpConnection {
 public:
  HttpConnection();
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  HttpConnection(HttpConnection&&) = delete;
  HttpConnection& operator=(HttpConnection&&) = delete;

  // Connects when needed (or to another host), sends GET url.target with `fields` added, and
  // reads the response head.
  Expected<ResponseHead, std::string> request(const Url& url,
                                              const boost::beast::http::fields& fields);
  // Up to out.size() body bytes; 0 at the end of the body. A body cut short is an error.
  Expected<std::size_t, std::string> read_body(std::span<std::uint8_t> out);
  // Whether this connection was used for an earlier request (so a failure of the next may just
  // be the server having closed it while idle).
  [[nodiscard]] bool reused() const noexcept;
  void close() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peerdist::cli
