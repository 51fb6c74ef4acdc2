#include "http_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <chrono>
#include <limits>

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

}  // namespace

std::string Url::host_header() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == "80" ? name : name + ":" + port;
}

std::string Url::text() const {
  return "http://" + host_header() + target;
}

Expected<Url, std::string> parse_url(std::string_view text) {
  const std::string scheme_end = "://";
  const auto colon = text.find(scheme_end);
  if (colon == std::string_view::npos)
    return Unexpected("'" + std::string(text) + "' is not a URL");
  const std::string scheme = lower(text.substr(0, colon));
  if (scheme == "https") {
    return Unexpected("https URLs are not supported yet (only http://)");
  }
  if (scheme != "http") return Unexpected("unsupported URL scheme '" + scheme + "' (only http://)");
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
  url.target = std::move(target);
  url.port = "80";
  if (!authority.empty() && authority.front() == '[') {
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
  if (url.port.empty() || url.port.size() > 5 ||
      !std::all_of(url.port.begin(), url.port.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(url.port) == 0 || std::stoul(url.port) > 65535) {
    return Unexpected("bad port in URL");
  }
  return url;
}

Expected<Url, std::string> resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return parse_url(location);
  if (location.starts_with("//")) return parse_url("http:" + std::string(location));
  Url url = base;
  if (location.starts_with("/")) {
    url.target = std::string(location);
  } else {
    std::string directory = base.target.substr(0, base.target.find('?'));
    directory.resize(directory.rfind('/') + 1);
    url.target = directory + std::string(location);
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

struct HttpConnection::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer{kReadBuffer};
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::string connected_to;  // host:port, empty when not connected
  unsigned requests = 0;

  // Runs one asynchronous operation to its end on this thread.
  template <typename Start>
  beast::error_code run(std::chrono::steady_clock::duration timeout, Start start) {
    beast::error_code result = asio::error::would_block;
    stream.expires_after(timeout);
    start([&result](beast::error_code error, auto&&...) { result = error; });
    io.restart();
    io.run();
    return result;
  }

  Expected<void, std::string> connect(const Url& url) {
    const std::string key = url.host + ":" + url.port;
    if (key == connected_to && stream.socket().is_open()) return {};
    close();
    tcp::resolver resolver(io);
    beast::error_code error;
    const auto endpoints = resolver.resolve(url.host, url.port, error);
    if (error) return Unexpected(url.host + ": " + error.message());
    error = run(kConnectTimeout,
                [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (error == beast::error::timeout) {
      return Unexpected(url.host_header() + ": no answer to the connection");
    }
    if (error) return Unexpected(url.host_header() + ": " + error.message());
    stream.socket().set_option(tcp::no_delay(true));
    connected_to = key;
    requests = 0;
    buffer.clear();
    return {};
  }

  void close() noexcept {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
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
  auto error = d.run(
      kIoTimeout, [&](auto handler) { http::async_write(d.stream, request, std::move(handler)); });
  if (error) {
    d.close();
    return Unexpected(url.host_header() + ": sending the request: " + error.message());
  }

  d.parser.emplace();
  d.parser->header_limit(kMaxHeaderBytes);
  d.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  error = d.run(kIoTimeout, [&](auto handler) {
    http::async_read_header(d.stream, d.buffer, *d.parser, std::move(handler));
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
  auto error = d.run(kIoTimeout, [&](auto handler) {
    http::async_read_some(d.stream, d.buffer, *d.parser, std::move(handler));
  });
  if (error == http::error::need_buffer) error = {};
  const std::size_t got = out.size() - body.size;
  if (error) {
    const std::string where = d.connected_to;
    d.close();
    if (error == http::error::partial_message || error == http::error::end_of_stream) {
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
