#include "peerdist/net/pccrr_client.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <variant>

#include "peerdist/net/pccrr_answers.hpp"
#include "peerdist/wire/pccrr/block_cipher.hpp"
#include "peerdist/wire/pccrr/codec.hpp"
#include "peerdist/wire/pccrr/limits.hpp"
#include "peerdist/wire/pccrr/transport.hpp"

namespace peerdist::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Bytes = std::vector<std::uint8_t>;
using BlockResult = Expected<pccrc::VerifiedBlock, FetchError>;
using ListResult = Expected<std::vector<wire::pccrr::BlockRange>, FetchError>;

namespace {

using Strand = asio::strand<asio::any_io_executor>;
using Clock = PccrrClient::Clock;

// The header of a PCCRR response is a few lines; 8 KiB is what common clients allow.
constexpr std::uint32_t kMaxResponseHeaderSize = 8 * 1024;
// The HTTP body: the transport header and the largest response message (A5).
constexpr std::uint64_t kMaxResponseBody =
    std::uint64_t{wire::pccrr::kTransportHeaderSize} + wire::pccrr::kMaxResponseSize;

// The decrypted, verified block of a MSG_BLK body, or why not. Runs off the strand (pool).
BlockResult block_from_reply(const pccrc::SegmentDescriptor& segment, pccrc::BlockIndex index,
                             const Bytes& body) {
  namespace pccrr = wire::pccrr;
  // A6: the transport header's Size is redundant; iPXE ignores it, so do we.
  auto response = pccrr::decode_response(body, {pccrr::TransportSizeCheck::lenient});
  if (!response) return Unexpected(FetchError::malformed);
  if (std::holds_alternative<pccrr::MsgNegoResp>(*response)) {
    return Unexpected(FetchError::version_mismatch);
  }
  const auto* blk = std::get_if<pccrr::MsgBlk>(&*response);
  if (blk == nullptr) return Unexpected(FetchError::malformed);
  // A30: an empty block says "not held" whatever the other fields say.
  if (blk->block.empty()) return Unexpected(FetchError::not_held);
  if (blk->segment_id != segment.segment_id || blk->block_index != index) {
    return Unexpected(FetchError::bad_data);
  }
  const std::size_t size = segment.block_length(index);
  // Decrypted into the vector verify_block takes by move: the block's one copy on this path.
  if (auto plaintext = pccrr::decrypt_block(*blk, segment.kp.bytes(), size)) {
    if (auto verified = pccrc::verify_block(segment, index, std::move(*plaintext))) {
      return std::move(*verified);
    }
  }
  // A1: a peer that keys AES with the whole 32-byte Kp (as Microsoft's test suite does) sends
  // blocks that only that reading decrypts. Tried once, only after the usual reading failed.
  if (blk->crypto != pccrr::CryptoAlgorithm::none) {
    if (auto plaintext =
            pccrr::decrypt_block_whole_kp(segment.kp.bytes(), blk->iv, blk->block, size)) {
      if (auto verified = pccrc::verify_block(segment, index, std::move(*plaintext))) {
        return std::move(*verified);
      }
    }
  }
  return Unexpected(FetchError::bad_data);
}

// The ranges of a MSG_BLKLIST body, checked against the request (§1.10).
ListResult list_from_reply(const crypto::Digest& segment_id,
                           const std::vector<wire::pccrr::BlockRange>& requested,
                           const Bytes& body) {
  namespace pccrr = wire::pccrr;
  auto response = pccrr::decode_response(body, {pccrr::TransportSizeCheck::lenient});
  if (!response) return Unexpected(FetchError::malformed);
  if (std::holds_alternative<pccrr::MsgNegoResp>(*response)) {
    return Unexpected(FetchError::version_mismatch);
  }
  auto* list = std::get_if<pccrr::MsgBlkList>(&*response);
  if (list == nullptr) return Unexpected(FetchError::malformed);
  if (list->segment_id != segment_id || !ranges_within(list->ranges, requested)) {
    return Unexpected(FetchError::bad_data);
  }
  return std::move(list->ranges);
}

// Errors of a connection that has not delivered a whole response.
FetchError error_of(const beast::error_code& ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    return FetchError::malformed;
  }
  // Bad HTTP from the peer (other than a cut-off message, which is the connection's fault).
  static const auto& http_category = beast::error_code(http::error::bad_target).category();
  if (ec.category() == http_category && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return FetchError::malformed;
  }
  return FetchError::connection_failed;
}

// What a peer that has closed an idle keep-alive connection looks like to the next request
// on it: nothing at all came back.
bool stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

namespace {

struct Connection;

// One request and its answer, from get_block / get_block_list to its handler.
struct Exchange {
  explicit Exchange(const Strand& strand) : timer(strand) {}

  std::uint64_t id = 0;
  tcp::endpoint peer;
  Bytes request;  // the PCCRR request (HTTP body)
  Clock::time_point deadline;
  // get_block
  std::shared_ptr<const pccrc::SegmentDescriptor> segment;
  pccrc::BlockIndex index;
  PccrrClient::BlockHandler on_block;
  // get_block_list
  crypto::Digest segment_id;
  std::vector<wire::pccrr::BlockRange> ranges;
  PccrrClient::BlockListHandler on_list;

  asio::steady_timer timer;              // the caller's deadline, then also the request timer
  std::weak_ptr<Connection> connection;  // while sent
  bool done = false;
  bool resent = false;  // sent again after a stale keep-alive connection (once at most)
};

// Free space kept in a connection's read buffer: one read_some can take a whole block.
constexpr std::size_t kReadBufferBytes = std::size_t{64} << 10U;

// One keep-alive HTTP connection to a peer, serving one exchange at a time.
struct Connection {
  Connection(const Strand& strand, tcp::endpoint to)
      : stream(strand), peer(to), idle_timer(strand) {
    // Beast reads at most the buffer's free capacity (at least 512 bytes, at most 64 KiB) per
    // read_some: a buffer left at the few hundred bytes the headers needed would take a 64 KiB
    // block in ~128 reads, each a system call and an asynchronous operation (measured: 5x the
    // CPU of the hashing). Reserved once, it takes it in one or two.
    buffer.reserve(kReadBufferBytes);
  }

  beast::tcp_stream stream;
  tcp::endpoint peer;
  beast::flat_buffer buffer;
  http::request<http::vector_body<std::uint8_t>> request;
  std::optional<http::response_parser<http::vector_body<std::uint8_t>>> parser;
  std::shared_ptr<Exchange> exchange;
  asio::steady_timer idle_timer;
  bool reused = false;     // has answered an exchange before the current one
  bool discarded = false;  // closed and no longer counted
};

struct Peer {
  std::vector<std::shared_ptr<Connection>> idle;  // most recently used last
  std::size_t open = 0;                           // connecting, busy or idle
  std::deque<std::shared_ptr<Exchange>> queue;    // waiting for a connection
};

}  // namespace

struct PccrrClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, PccrrClientOptions opts)
      : strand(asio::make_strand(std::move(executor))), options(opts) {
    options.connections_per_peer = std::max<std::size_t>(options.connections_per_peer, 1);
  }

  Strand strand;
  PccrrClientOptions options;
  std::map<tcp::endpoint, Peer> peers;
  std::map<std::uint64_t, std::shared_ptr<Exchange>> live;
  std::uint64_t next_id = 1;
  std::atomic<std::size_t> open_connections{0};
  bool stopped = false;

  // --- Exchanges ---

  void submit(const std::shared_ptr<Exchange>& ex) {
    if (stopped) return;
    ex->id = next_id++;
    live.emplace(ex->id, ex);
    arm(ex, ex->deadline);
    peers[ex->peer].queue.push_back(ex);
    pump(ex->peer);
  }

  void arm(const std::shared_ptr<Exchange>& ex, Clock::time_point when) {
    ex->timer.expires_at(when);
    ex->timer.async_wait([self = shared_from_this(), ex](boost::system::error_code ec) {
      if (!ec) self->expire(ex);
    });
  }

  void expire(const std::shared_ptr<Exchange>& ex) {
    if (ex->done) return;
    auto connection = ex->connection.lock();
    fail(ex, FetchError::timed_out);
    // Its response may still come: the connection cannot carry another exchange.
    if (connection) {
      discard(connection);
      pump(connection->peer);
    }
  }

  // Ends the exchange once: the handler is called on the strand, here.
  void finish_block(const std::shared_ptr<Exchange>& ex, BlockResult result) {
    if (!end(ex)) return;
    auto handler = std::move(ex->on_block);
    if (handler) handler(std::move(result));
  }
  void finish_list(const std::shared_ptr<Exchange>& ex, ListResult result) {
    if (!end(ex)) return;
    auto handler = std::move(ex->on_list);
    if (handler) handler(std::move(result));
  }
  void fail(const std::shared_ptr<Exchange>& ex, FetchError error) {
    if (ex->segment) {
      finish_block(ex, Unexpected(error));
    } else {
      finish_list(ex, Unexpected(error));
    }
  }
  bool end(const std::shared_ptr<Exchange>& ex) {
    if (ex->done) return false;
    ex->done = true;
    ex->timer.cancel();
    live.erase(ex->id);
    return true;
  }

  // --- Connections of a peer ---

  // Gives waiting exchanges a connection: an idle one, else a new one within the limit.
  void pump(const tcp::endpoint& endpoint) {
    auto it = peers.find(endpoint);
    if (it == peers.end()) return;
    Peer& peer = it->second;
    while (!peer.queue.empty() && !stopped) {
      auto ex = peer.queue.front();
      if (ex->done) {
        peer.queue.pop_front();
        continue;
      }
      if (!peer.idle.empty()) {
        auto connection = peer.idle.back();
        peer.idle.pop_back();
        connection->idle_timer.cancel();
        peer.queue.pop_front();
        assign(connection, ex);
        write(connection);
      } else if (peer.open < options.connections_per_peer) {
        peer.queue.pop_front();
        ++peer.open;
        open_connections.fetch_add(1, std::memory_order_relaxed);
        auto connection = std::make_shared<Connection>(strand, endpoint);
        assign(connection, ex);
        connection->stream.async_connect(
            endpoint, [self = shared_from_this(), connection](beast::error_code ec) {
              self->on_connect(connection, ec);
            });
      } else {
        break;
      }
    }
    if (peer.open == 0 && peer.queue.empty()) peers.erase(it);
  }

  void assign(const std::shared_ptr<Connection>& connection, const std::shared_ptr<Exchange>& ex) {
    connection->exchange = ex;
    ex->connection = connection;
    // The request timer runs from here, within the caller's deadline.
    arm(ex, std::min(ex->deadline, Clock::now() + options.request_timeout));
  }

  std::shared_ptr<Exchange> take(const std::shared_ptr<Connection>& connection) {
    auto ex = std::move(connection->exchange);
    connection->exchange.reset();
    if (ex) ex->connection.reset();
    return ex;
  }

  // Closes the connection and stops counting it; idempotent. Its pending operations end with
  // errors that find it discarded.
  void discard(const std::shared_ptr<Connection>& connection) {
    if (connection->discarded) return;
    connection->discarded = true;
    connection->idle_timer.cancel();
    connection->stream.close();
    auto it = peers.find(connection->peer);
    if (it == peers.end()) return;
    auto& idle = it->second.idle;
    idle.erase(std::remove(idle.begin(), idle.end(), connection), idle.end());
    --it->second.open;
    open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void make_idle(const std::shared_ptr<Connection>& connection) {
    connection->reused = true;
    auto it = peers.find(connection->peer);
    if (it == peers.end()) return discard(connection);
    it->second.idle.push_back(connection);
    connection->idle_timer.expires_after(options.idle_timeout);
    connection->idle_timer.async_wait(
        [self = shared_from_this(), connection](boost::system::error_code ec) {
          if (ec || connection->discarded || connection->exchange) return;
          self->discard(connection);
          self->pump(connection->peer);
        });
  }

  // --- One exchange on one connection ---

  void on_connect(const std::shared_ptr<Connection>& connection, const beast::error_code& ec) {
    if (connection->discarded) return;
    if (ec) return on_failure(connection, ec);
    beast::error_code ignored;
    connection->stream.socket().set_option(tcp::no_delay(true), ignored);
    write(connection);
  }

  void write(const std::shared_ptr<Connection>& connection) {
    auto& request = connection->request;
    request = {};
    request.method(http::verb::post);
    request.target(std::string(wire::pccrr::kRetrievalPath));
    request.version(11);
    std::ostringstream host;
    host << connection->peer;  // a.b.c.d:port, [v6]:port
    request.set(http::field::host, host.str());
    request.keep_alive(true);
    request.body() = connection->exchange->request;
    request.prepare_payload();
    http::async_write(connection->stream, request,
                      [self = shared_from_this(), connection](beast::error_code ec, std::size_t) {
                        if (connection->discarded) return;
                        if (ec) return self->on_failure(connection, ec);
                        self->read(connection);
                      });
  }

  void read(const std::shared_ptr<Connection>& connection) {
    connection->parser.emplace();
    connection->parser->header_limit(kMaxResponseHeaderSize);
    connection->parser->body_limit(kMaxResponseBody);
    http::async_read(connection->stream, connection->buffer, *connection->parser,
                     [self = shared_from_this(), connection](beast::error_code ec, std::size_t) {
                       self->on_read(connection, ec);
                     });
  }

  void on_read(const std::shared_ptr<Connection>& connection, const beast::error_code& ec) {
    if (connection->discarded) return;
    if (ec) return on_failure(connection, ec);
    auto response = connection->parser->release();
    connection->parser.reset();
    auto ex = take(connection);
    if (response.keep_alive()) {
      make_idle(connection);
    } else {
      discard(connection);
    }
    if (response.result() != http::status::ok) {
      fail(ex, FetchError::malformed);  // PCCRR answers everything with 200 (§1.1)
    } else {
      process(ex, std::move(response.body()));
    }
    pump(ex->peer);
  }

  void on_failure(const std::shared_ptr<Connection>& connection, const beast::error_code& ec) {
    const bool nothing_back = !connection->parser || !connection->parser->got_some();
    const bool stale = connection->reused && nothing_back && stale_connection_error(ec);
    auto ex = take(connection);
    const tcp::endpoint endpoint = connection->peer;
    discard(connection);
    if (ex && stale && !ex->resent) {
      // The peer closed this keep-alive connection while it was idle; so probably the other
      // idle ones too. Send the request again, once, on a new connection.
      ex->resent = true;
      if (auto it = peers.find(endpoint); it != peers.end()) {
        auto idle = it->second.idle;
        for (auto& other : idle) discard(other);
        it->second.queue.push_front(ex);
      }
    } else if (ex) {
      fail(ex, error_of(ec));
    }
    pump(endpoint);
  }

  // Decodes, decrypts and verifies, on the pool when there is one, then finishes on the strand.
  void process(const std::shared_ptr<Exchange>& ex, Bytes body) {
    if (ex->done) return;
    if (!ex->segment) {
      finish_list(ex, list_from_reply(ex->segment_id, ex->ranges, body));
      return;
    }
    if (options.crypto_pool == nullptr) {
      finish_block(ex, block_from_reply(*ex->segment, ex->index, body));
      return;
    }
    options.crypto_pool->submit([self = shared_from_this(), ex, segment = ex->segment,
                                 index = ex->index, body = std::move(body)]() {
      // Only immutable parts of the exchange are read here; `done` is the strand's.
      auto result = block_from_reply(*segment, index, body);
      asio::post(self->strand, [self, ex, result = std::move(result)]() mutable {
        self->finish_block(ex, std::move(result));
      });
    });
  }

  void shutdown() {
    stopped = true;
    for (auto& [id, ex] : live) {
      ex->done = true;
      ex->timer.cancel();
      ex->on_block = nullptr;
      ex->on_list = nullptr;
      if (auto connection = ex->connection.lock()) discard(connection);
    }
    live.clear();
    for (auto& [endpoint, peer] : peers) {
      auto idle = peer.idle;
      for (auto& connection : idle) discard(connection);
      peer.queue.clear();
    }
    peers.clear();
  }
};

PccrrClient::PccrrClient(asio::any_io_executor executor, PccrrClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), options)) {}

PccrrClient::~PccrrClient() {
  asio::dispatch(impl_->strand, [impl = impl_] { impl->shutdown(); });
}

void PccrrClient::get_block(const tcp::endpoint& peer,
                            std::shared_ptr<const pccrc::SegmentDescriptor> segment,
                            pccrc::BlockIndex index, Clock::time_point deadline,
                            BlockHandler handler) {
  auto ex = std::make_shared<Exchange>(impl_->strand);
  ex->peer = peer;
  ex->deadline = deadline;
  ex->index = index;
  ex->on_block = std::move(handler);
  bool well_formed = segment && segment->knows_block(index);
  if (well_formed) {
    wire::pccrr::MsgGetBlks request;  // ProtVer 1.0, CryptoAlgoId 1 (A4, A13)
    request.segment_id = segment->segment_id;
    request.ranges = {{index, 1}};
    try {
      ex->request = wire::pccrr::encode_request(request);
    } catch (const std::length_error&) {
      well_formed = false;  // a segment ID no PCCRR message can carry
    }
  }
  if (!segment) segment = std::make_shared<const pccrc::SegmentDescriptor>();
  ex->segment = std::move(segment);
  asio::post(impl_->strand, [impl = impl_, ex, well_formed] {
    if (impl->stopped) return;
    if (!well_formed) return impl->finish_block(ex, Unexpected(FetchError::bad_data));
    impl->submit(ex);
  });
}

void PccrrClient::get_block(const tcp::endpoint& peer, const pccrc::SegmentDescriptor& segment,
                            pccrc::BlockIndex index, Clock::time_point deadline,
                            BlockHandler handler) {
  get_block(peer, std::make_shared<const pccrc::SegmentDescriptor>(segment), index, deadline,
            std::move(handler));
}

void PccrrClient::get_block_list(const tcp::endpoint& peer, const crypto::Digest& segment_id,
                                 std::vector<wire::pccrr::BlockRange> ranges,
                                 Clock::time_point deadline, BlockListHandler handler) {
  auto ex = std::make_shared<Exchange>(impl_->strand);
  ex->peer = peer;
  ex->deadline = deadline;
  ex->segment_id = segment_id;
  ex->on_list = std::move(handler);
  bool well_formed = true;
  try {
    wire::pccrr::MsgGetBlkList request;  // ProtVer 1.0, CryptoAlgoId 1 (A4, A13)
    request.segment_id = segment_id;
    request.needed_ranges = ranges;
    ex->request = wire::pccrr::encode_request(request);
  } catch (const std::length_error&) {
    well_formed = false;  // no range, too many, a count of 0, or an unusable segment ID
  }
  ex->ranges = std::move(ranges);
  asio::post(impl_->strand, [impl = impl_, ex, well_formed] {
    if (impl->stopped) return;
    if (!well_formed) return impl->finish_list(ex, Unexpected(FetchError::malformed));
    impl->submit(ex);
  });
}

std::size_t PccrrClient::open_connections() const noexcept {
  return impl_->open_connections.load(std::memory_order_relaxed);
}

}  // namespace peerdist::net
