// One request of the reverse proxy (`peerdist serve --upstream URL`, docs/pccrtp.md, "Reverse
// proxy"): forwarded to the upstream origin, its answer relayed to the client, or replaced by
// content information when the client negotiated peerdist and the hash cache holds the CI of
// exactly the representation the upstream names (URL, validators, length).
//
// The origin's session (pccrtp_origin.cpp) reads the request, applies its limits and writes
// the access log; an exchange only does what differs from serving a file: it connects to the
// upstream, streams the body in pieces of kRelayPiece bytes (one piece in memory: the next is
// read from the upstream only once the client took the last, so a slow client slows the
// upstream down, never the proxy's memory up) and hashes it on the way when the client got
// "MakeHashRequest=true". The CI is stored only when exactly Content-Length bytes arrived.
//
// Threads: everything runs on the session's strand.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/net/pccrtp_hash_cache.hpp"
#include "peerdist/net/pccrtp_upstream.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/wire/pccrtp/decision.hpp"

namespace peerdist::net {

struct PccrtpProxyCounters {
  std::atomic<std::uint64_t> upstream_requests{0};  // requests sent upstream (HEAD probes too)
  std::atomic<std::uint64_t> head_probes{0};        // HEADs sent to check a stored CI
  std::atomic<std::uint64_t> upstream_bytes{0};     // bytes read from upstreams, header+body
  std::atomic<std::uint64_t> cache_hits{0};         // answered with a stored upstream CI
  std::atomic<std::uint64_t> peak_buffered{0};      // most body bytes one relay held in memory
};

// How an exchange ended. `reply` or `response`: nothing was written to the client yet and the
// session sends that (an error status of its own, or the peerdist answer). Otherwise the relay
// wrote the response itself.
struct PccrtpProxyResult {
  std::optional<boost::beast::http::status> reply;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::vector_body<std::uint8_t>>>
      response;
  boost::beast::error_code ec;  // the relay failed (the client's connection must close)
  unsigned status = 0;
  std::uint64_t body_bytes = 0;  // sent to the client
  std::string_view mode;
  bool keep_alive = true;  // false: the body was delimited by closing the connection
};

struct PccrtpProxyContext {
  boost::asio::any_io_executor strand;
  const PccrtpUpstream* upstream = nullptr;
  PccrtpHashCache* cache = nullptr;  // null: never peerdist
  std::chrono::milliseconds send_timeout{};
  PccrtpProxyCounters* counters = nullptr;
};

class PccrtpProxyExchange : public std::enable_shared_from_this<PccrtpProxyExchange> {
 public:
  // One body piece: read from the upstream, hashed, written to the client, then the next.
  // 64 KiB is one V1 block and a few TCP windows on a LAN; per GiB 16,384 round trips through
  // the strand, far below what the copy itself costs.
  static constexpr std::size_t kRelayPiece = std::size_t{64} << 10U;
  // The upstream's response header block, at most (the origin allows its clients 16 KiB; an
  // upstream's Set-Cookie and CSP headers can be longer).
  static constexpr std::uint32_t kMaxUpstreamHeader = 64 * 1024;
  // The read buffer in front of the upstream parser: the header, then small reads of the body.
  static constexpr std::size_t kUpstreamBufferLimit = 2 * kMaxUpstreamHeader;

  using Request = boost::beast::http::request<boost::beast::http::empty_body>;
  using Done = std::function<void(PccrtpProxyResult)>;

  // `client` must outlive the exchange (the session owns both; `done` keeps the session).
  PccrtpProxyExchange(PccrtpProxyContext context, boost::beast::tcp_stream& client,
                      const Request& request, std::string client_address, bool keep_alive,
                      wire::pccrtp::NegotiationResult negotiated, Done done);

  void start();
  // Abandons the upstream side; `done` is not called any more.
  void cancel();

 private:
  enum class BodyFraming { kNone, kLength, kChunked, kClose };
  using UpstreamParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

  void connect();
  void on_connected(boost::beast::error_code ec);
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  std::optional<UpstreamIdentity> identity_of_response() const;
  // `size`: the entity's, from the upstream header (a HEAD's parser has no body length).
  void answer_peerdist(std::vector<std::uint8_t> ci, std::uint64_t size);
  void relay_header();
  void read_piece();
  void on_piece(boost::beast::error_code ec, std::size_t bytes);
  void write_piece(std::size_t length);
  void end_body();
  void store_ci();
  void fail_before_header(boost::beast::error_code ec);
  void complete(PccrtpProxyResult result);
  void close_upstream();

  PccrtpProxyContext context_;
  boost::beast::tcp_stream& client_;
  Request upstream_request_;
  std::string client_target_;
  unsigned client_version_ = 11;
  bool client_head_ = false;
  bool keep_alive_ = true;
  wire::pccrtp::NegotiationResult negotiated_;
  Done done_;
  std::string url_;
  bool peerdist_ = false;  // negotiated, and a cache to answer from
  pccrc::Version ci_version_ = pccrc::Version::v1;
  bool probing_ = false;  // the upstream request is the HEAD that checks a stored CI
  bool finished_ = false;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer resolve_timer_;
  std::optional<boost::beast::tcp_stream> upstream_;
  boost::beast::flat_buffer upstream_buffer_{kUpstreamBufferLimit};
  std::optional<UpstreamParser> parser_;

  // The relay.
  unsigned status_ = 0;
  std::string_view mode_;
  BodyFraming framing_ = BodyFraming::kNone;
  std::vector<std::uint8_t> piece_;
  std::uint64_t sent_ = 0;
  std::unique_ptr<pccrc::ContentInformationBuilder> builder_;
  std::optional<UpstreamIdentity> hashing_;
  std::uint64_t hashed_ = 0;
};

}  // namespace peerdist::net
