#include "http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <chrono>
#include <limits>
#include <variant>

namespace peerdist::cli {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Connecting (resolution included) may take this long: a host that does not answer by then is
// reported rather than waited for.
constexpr auto kConnectTimeout = std::chrono::seconds(15);
// Each read or write must progress within this: a stalled server is an error, a slow one is not.
constexpr auto kIoTimeout = std::chrono::seconds(60);
// A response head larger than this is refused (Beast's default of 8 KiB is too small for some
// servers' cookies; 64 KiB is what common servers accept as request headers).
constexpr std::uint32_t kMaxHeaderBytes = 64U * 1024U;
// Read buffer for the connection: large reads keep the body copy cheap.
constexpr std::size_t kReadBuffer = std::size_t{64} << 10U;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A space or a control byte would end up in the request line (a target "/a b" or one with a
// CR LF splits it): such a URL, or Location, is refused rather than passed on.
bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::string without_fragment(std::string_view target) {
  return std::string(target.substr(0, target.find('#')));
}

}  // namespace

std::string Url::host_header() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == default_port() ? name : name + ":" + port;
}

std::string Url::text() const {
  return (tls ? "https://" : "http://") + host_header() + target;
}

Expected<Url, std::string> parse_url(std::string_view text) {
  if (has_space_or_control(text)) {
    return Unexpected(std::string("the URL contains a space or a control character"));
  }
  const std::string scheme_end = "://";
  const auto colon = text.find(scheme_end);
  if (colon == std::string_view::npos)
    return Unexpected("'" + std::string(text) + "' is not a URL");
  const std::string scheme = lower(text.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return Unexpected("unsupported URL scheme '" + scheme + "' (only http:// and https://)");
  }
  std::string_view rest = text.substr(colon + scheme_end.size());
  const auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (const auto hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target.front() != '/') target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return Unexpected("URLs with user information are not supported");
  }
  Url url;
  url.tls = scheme == "https";
  url.target = std::move(target);
  url.port = url.default_port();
  const bool authority_bracketed = !authority.empty() && authority.front() == '[';
  if (authority_bracketed) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Unexpected("bad IPv6 address in URL");
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return Unexpected("bad URL authority");
      url.port = std::string(authority.substr(1));
    }
  } else {
    const auto port = authority.rfind(':');
    url.host = std::string(authority.substr(0, port));
    if (port != std::string_view::npos) url.port = std::string(authority.substr(port + 1));
  }
  if (url.host.empty()) return Unexpected("the URL has no host");
  // Brackets only enclose an IPv6 literal, and only an IPv6 literal holds colons (RFC 3986).
  if (url.host.find_first_of("[]") != std::string::npos ||
      (url.host.find(':') != std::string::npos && !authority_bracketed)) {
    return Unexpected("bad host in URL");
  }
  if (url.port.empty() || url.port.size() > 5 ||
      !std::all_of(url.port.begin(), url.port.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(url.port) == 0 || std::stoul(url.port) > 65535) {
    return Unexpected("bad port in URL");
  }
  return url;
}

Expected<Url, std::string> resolve_location(const Url& base, std::string_view location) {
  if (has_space_or_control(location)) {
    return Unexpected(std::string("the Location contains a space or a control character"));
  }
  if (location.find("://") != std::string_view::npos) return parse_url(location);
  if (location.starts_with("//")) {
    return parse_url((base.tls ? "https:" : "http:") + std::string(location));
  }
  Url url = base;
  if (location.starts_with("/")) {
    url.target = without_fragment(location);
  } else {
    std::string directory = base.target.substr(0, base.target.find('?'));
    directory.resize(directory.rfind('/') + 1);
    url.target = directory + without_fragment(location);
  }
  return url;
}

std::string last_path_segment(const Url& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  return path.substr(path.rfind('/') + 1);
}

std::string ResponseHead::field(std::string_view name) const {
  const auto it = fields.find(beast::string_view(name.data(), name.size()));
  return it == fields.end() ? std::string() : std::string(it->value());
}

// A client TLS context: the system's trust store, the peer verified, TLS 1.2 at least.
asio::ssl::context make_tls_context() {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_default_verify_paths();  // honours SSL_CERT_FILE / SSL_CERT_DIR
  context.set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  return context;
}

// Whether `host` is an IP literal: SNI carries host names only (RFC 6066, section 3).
bool is_ip_literal(const std::string& host) {
  beast::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

struct HttpConnection::Impl {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  asio::io_context io;
  std::optional<asio::ssl::context> tls_context;  // made on the first https connection
  std::optional<beast::tcp_stream> plain;
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer{kReadBuffer};
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::string connected_to;  // scheme://host:port, empty when not connected
  unsigned requests = 0;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  [[nodiscard]] bool open() { return (plain || secure) && tcp().socket().is_open(); }

  // Runs one asynchronous operation to its end on this thread.
  template <typename Start>
  beast::error_code run(std::chrono::steady_clock::duration timeout, Start start) {
    beast::error_code result = asio::error::would_block;
    tcp().expires_after(timeout);
    start([&result](beast::error_code error, auto&&...) { result = error; });
    io.restart();
    io.run();
    return result;
  }
  // run() of an operation on the connection's stream, TLS or not: op(stream, handler).
  template <typename Operation>
  beast::error_code on_stream(std::chrono::steady_clock::duration timeout, Operation op) {
    return run(timeout, [&](auto handler) {
      if (secure) {
        op(*secure, std::move(handler));
      } else {
        op(*plain, std::move(handler));
      }
    });
  }

  Expected<void, std::string> connect(const Url& url) {
    const std::string key = (url.tls ? "https://" : "http://") + url.host + ":" + url.port;
    if (key == connected_to && open()) return {};
    close();
    tcp::resolver resolver(io);
    beast::error_code error;
    const auto endpoints = resolver.resolve(url.host, url.port, error);
    if (error) return Unexpected(url.host + ": " + error.message());
    if (url.tls) {
      if (!tls_context) tls_context.emplace(make_tls_context());
      secure.emplace(io, *tls_context);
    } else {
      plain.emplace(io);
    }
    error = run(kConnectTimeout,
                [&](auto handler) { tcp().async_connect(endpoints, std::move(handler)); });
    if (error == beast::error::timeout) {
      close();
      return Unexpected(url.host_header() + ": no answer to the connection");
    }
    if (error) {
      close();
      return Unexpected(url.host_header() + ": " + error.message());
    }
    tcp().socket().set_option(tcp::no_delay(true));
    if (secure) {
      // SSL_set_tlsext_host_name() is this call behind a C cast (-Wold-style-cast).
      if (!is_ip_literal(url.host) &&
          SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(url.host.c_str())) != 1) {
        close();
        return Unexpected(url.host_header() + ": cannot send the TLS server name");
      }
      secure->set_verify_callback(asio::ssl::host_name_verification(url.host));
      error = run(kConnectTimeout, [&](auto handler) {
        secure->async_handshake(asio::ssl::stream_base::client, std::move(handler));
      });
      if (error) {
        close();
        if (error == beast::error::timeout) {
          return Unexpected(url.host_header() + ": no answer to the TLS handshake");
        }
        return Unexpected(url.host_header() + ": TLS handshake failed: " + error.message());
      }
    }
    connected_to = key;
    requests = 0;
    buffer.clear();
    return {};
  }

  // Closes without a TLS close_notify: every body is delimited by HTTP framing, so a cut
  // cannot pass for an end, and a blocking shutdown could wait on a peer that does not answer.
  void close() noexcept {
    if (plain || secure) {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp().socket().close(ignored);
    }
    secure.reset();
    plain.reset();
    connected_to.clear();
    parser.reset();
  }
};

HttpConnection::HttpConnection() : impl_(std::make_unique<Impl>()) {}
HttpConnection::~HttpConnection() {
  impl_->close();
}

bool HttpConnection::reused() const noexcept {
  return impl_->requests > 1;
}
void HttpConnection::close() noexcept {
  impl_->close();
}

Expected<ResponseHead, std::string> HttpConnection::request(const Url& url,
                                                            const http::fields& fields) {
  auto& d = *impl_;
  if (d.parser && !d.parser->is_done()) d.close();  // an unread body: start afresh
  if (auto connected = d.connect(url); !connected) return Unexpected(connected.error());
  ++d.requests;

  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "peerdist-get");
  for (const auto& field : fields) request.insert(field.name_string(), field.value());
  request.keep_alive(true);
  auto error = d.on_stream(kIoTimeout, [&](auto& stream, auto handler) {
    http::async_write(stream, request, std::move(handler));
  });
  if (error) {
    d.close();
    return Unexpected(url.host_header() + ": sending the request: " + error.message());
  }

  d.parser.emplace();
  d.parser->header_limit(kMaxHeaderBytes);
  d.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  error = d.on_stream(kIoTimeout, [&](auto& stream, auto handler) {
    http::async_read_header(stream, d.buffer, *d.parser, std::move(handler));
  });
  if (error) {
    d.close();
    if (error == beast::error::timeout) return Unexpected(url.host_header() + ": no response");
    if (error == http::error::end_of_stream) {
      return Unexpected(url.host_header() + ": the server closed the connection without answering");
    }
    return Unexpected(url.host_header() + ": reading the response: " + error.message());
  }
  ResponseHead head;
  const auto& message = d.parser->get();
  head.status = message.result_int();
  for (const auto& field : message) head.fields.insert(field.name_string(), field.value());
  if (const auto length = d.parser->content_length()) head.content_length = *length;
  return head;
}

Expected<std::size_t, std::string> HttpConnection::read_body(std::span<std::uint8_t> out) {
  auto& d = *impl_;
  if (!d.parser) return Unexpected(std::string("no response to read"));
  if (d.parser->is_done() || out.empty()) {
    if (d.parser->is_done() && !d.parser->keep_alive()) d.close();
    return std::size_t{0};
  }
  auto& body = d.parser->get().body();
  body.data = out.data();
  body.size = out.size();
  auto error = d.on_stream(kIoTimeout, [&](auto& stream, auto handler) {
    http::async_read_some(stream, d.buffer, *d.parser, std::move(handler));
  });
  if (error == http::error::need_buffer) error = {};
  const std::size_t got = out.size() - body.size;
  if (error) {
    const std::string where = d.connected_to;
    d.close();
    if (error == http::error::partial_message || error == http::error::end_of_stream ||
        error == asio::ssl::error::stream_truncated) {
      return Unexpected(where + ": the body was cut short (connection closed before its end)");
    }
    if (error == beast::error::timeout) return Unexpected(where + ": the body stalled");
    return Unexpected(where + ": reading the body: " + error.message());
  }
  if (got == 0 && d.parser->is_done()) {
    if (!d.parser->keep_alive()) d.close();
    return std::size_t{0};
  }
  if (got == 0) return read_body(out);  // the parser consumed framing only (chunk headers)
  return got;
}

}  // namespace peerdist::cli
