#include "peerdist/net/pccrr_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "peerdist/net/pccrr_answers.hpp"
#include "peerdist/net/tcp_listener.hpp"
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

namespace {

// Connections waiting to be accepted: a burst of peers asking for the blocks of a popular
// segment at once.
// After a failed accept (out of descriptors, say), wait before the next rather than spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// An HTTP request header of a PCCRR client is a few hundred bytes (iPXE: ~100); 8 KiB is what
// common servers allow and keeps a hostile header from costing memory.
constexpr std::uint32_t kMaxRequestHeaderSize = 8 * 1024;
constexpr std::string_view kServerName = "peerdist";
constexpr std::string_view kContentType = "application/octet-stream";

using Strand = asio::strand<asio::any_io_executor>;
using RequestParser = http::request_parser<http::vector_body<std::uint8_t>>;
using Response = http::response<http::vector_body<std::uint8_t>>;

// The counters as atomics: written on the strand, read by counters() from any thread.
struct AtomicCounters {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> nego_requests{0};
  std::atomic<std::uint64_t> getblklist_requests{0};
  std::atomic<std::uint64_t> getblks_requests{0};
  std::atomic<std::uint64_t> getseglist_requests{0};
  std::atomic<std::uint64_t> version_mismatches{0};
  std::atomic<std::uint64_t> blocks_served{0};
  std::atomic<std::uint64_t> block_bytes_served{0};
  std::atomic<std::uint64_t> response_bytes{0};
  std::atomic<std::uint64_t> not_held{0};
  std::atomic<std::uint64_t> busy{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> timed_out{0};
};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
  counter.fetch_add(by, std::memory_order_relaxed);
}

std::uint64_t read(const std::atomic<std::uint64_t>& counter) noexcept {
  return counter.load(std::memory_order_relaxed);
}

// The MSG_NEGO_RESP of this server: the versions we speak (A13).
Bytes nego_response() {
  return wire::pccrr::encode_response(wire::pccrr::MsgNegoResp{});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// State shared by the acceptors and every connection (strand only, but for the counters).

struct PccrrServer::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor executor, SegmentSource& segment_source, PccrrServerOptions opts)
      : strand(asio::make_strand(std::move(executor))),
        source(segment_source),
        options(std::move(opts)),
        retry_timer(strand) {}

  Strand strand;
  SegmentSource& source;
  const PccrrServerOptions options;
  std::vector<tcp::acceptor> acceptors;
  asio::steady_timer retry_timer;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 1;
  // Uploads in progress (§1.11 Active Client Count), per client address and in all.
  std::map<asio::ip::address, std::uint32_t> uploads_per_peer;
  std::uint32_t uploads = 0;
  bool stopped = false;
  AtomicCounters counters;

  // A slot for one upload, or false at either limit (§1.11 step 3).
  bool acquire_upload(const asio::ip::address& peer) {
    auto& mine = uploads_per_peer[peer];
    if (uploads >= options.max_uploads || mine >= options.max_uploads_per_peer) {
      if (mine == 0) uploads_per_peer.erase(peer);
      return false;
    }
    ++mine;
    ++uploads;
    return true;
  }
  // §1.11 step 5, "clamp at 0": only a held slot is ever released.
  void release_upload(const asio::ip::address& peer) {
    if (auto it = uploads_per_peer.find(peer); it != uploads_per_peer.end()) {
      if (--it->second == 0) uploads_per_peer.erase(it);
    }
    if (uploads > 0) --uploads;
  }

  void accept(std::size_t which);
  void stop();
};

// ---------------------------------------------------------------------------------------------
// One HTTP connection: one request at a time (no pipelining), kept alive after a 200.

class PccrrServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, tcp::socket socket, std::uint64_t id)
      : state_(std::move(state)),
        stream_(std::move(socket)),
        upload_timer_(state_->strand),
        id_(id) {
    boost::system::error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec).address();
  }

  void start() { read_header(); }

  // Closes the connection; idempotent. Late answers of the source find it closed.
  void close() {
    if (closed_) return;
    closed_ = true;
    ++request_;  // whatever is in progress is now stale
    release_upload();
    upload_timer_.cancel();
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    state_->sessions.erase(id_);
  }

 private:
  State& state() { return *state_; }

  void read_header() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeaderSize);
    parser_->body_limit(wire::pccrr::kMaxRequestSize);
    stream_.expires_after(state().options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (closed_) return;
    if (ec) {
      // A peer closing an idle connection, or the idle timeout: the ordinary end.
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        return close();
      }
      // Beast checks Content-Length against the body limit as soon as the header is in.
      if (ec == http::error::body_limit) return reply_error(http::status::payload_too_large);
      return reply_error(http::status::bad_request);  // bad HTTP, header too long
    }
    const auto& request = parser_->get();
    if (!wire::pccrr::is_retrieval_path(request.target())) {
      return reply_error(http::status::not_found);
    }
    if (request.method() != http::verb::post) {
      return reply_error(http::status::method_not_allowed);
    }
    // §1.1: Content-Length is needed; a chunked body could be any size.
    if (parser_->chunked() || !parser_->content_length()) {
      return reply_error(http::status::length_required);
    }
    if (*parser_->content_length() > wire::pccrr::kMaxRequestSize) {
      return reply_error(http::status::payload_too_large);
    }
    stream_.expires_after(state().options.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t) {
                       self->on_body(read_ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (closed_) return;
    if (ec == beast::error::timeout) {
      bump(state().counters.timed_out);
      return close();  // the stream closed the socket: no room for a 408
    }
    if (ec) return close();
    stream_.expires_never();
    keep_alive_ = parser_->get().keep_alive();
    version_ = parser_->get().version();
    Bytes body = std::move(parser_->get().body());
    parser_.reset();
    handle(body);
  }

  // A handler for the SegmentSource that comes back to this session on the strand, and only
  // if the request it answers is still the current one (not timed out, not closed).
  template <class F>
  auto on_strand(F f) {
    return [self = shared_from_this(), request = request_, f = std::move(f)](auto answer) mutable {
      asio::dispatch(self->state().strand,
                     [self, request, f = std::move(f), answer = std::move(answer)]() mutable {
                       if (self->closed_ || request != self->request_) return;
                       f(*self, std::move(answer));
                     });
    };
  }

  // §1.11: unknown major → NEGO_RESP; NEGO_REQ → NEGO_RESP; the rest within the upload limits.
  void handle(const Bytes& body) {
    namespace pccrr = wire::pccrr;
    auto header = pccrr::decode_header(body);
    if (!header || !pccrr::is_request(header->type)) {
      return reply_error(http::status::bad_request);
    }
    if (!pccrr::is_known_major(header->version) && header->type != pccrr::MessageType::nego_req) {
      bump(state().counters.version_mismatches);
      return reply(nego_response());
    }
    auto request = pccrr::decode_request(body);
    if (!request) return reply_error(http::status::bad_request);
    std::visit([this](auto& message) { serve(std::move(message)); }, *request);
  }

  void serve(wire::pccrr::MsgNegoReq /*message*/) {
    bump(state().counters.nego_requests);
    reply(nego_response());
  }

  void serve(wire::pccrr::MsgGetBlkList message) {
    bump(state().counters.getblklist_requests);
    wire::pccrr::MsgBlkList empty;
    empty.segment_id = message.segment_id;
    if (!start_upload()) return reply(wire::pccrr::encode_response(empty));
    state().source.holdings(
        {message.segment_id},
        on_strand([message = std::move(message), empty](
                      Session& self, std::vector<std::optional<SegmentHoldings>> held) mutable {
          const BlockListAnswer answer =
              answer_block_list(message.needed_ranges, held.empty() ? std::nullopt : held[0]);
          empty.ranges = answer.ranges;
          empty.next_block_index = answer.next_block_index;
          self.reply(wire::pccrr::encode_response(empty));
        }));
  }

  void serve(wire::pccrr::MsgGetBlks message) {
    bump(state().counters.getblks_requests);
    const pccrc::BlockIndex index = lowest_requested_block(message.ranges);
    if (!start_upload()) return reply(missing_block(message.segment_id, index));
    state().source.read_block(
        message.segment_id, index,
        on_strand([segment_id = message.segment_id, index](
                      Session& self, std::optional<ServedBlock> block) mutable {
          if (!block) {
            bump(self.state().counters.not_held);
            return self.reply(missing_block(segment_id, index));
          }
          self.encrypt(segment_id, index, std::move(*block));
        }));
  }

  void serve(wire::pccrr::MsgGetSegList message) {
    bump(state().counters.getseglist_requests);
    wire::pccrr::MsgSegList empty;
    empty.request_id = message.request_id;
    if (!start_upload()) return reply(wire::pccrr::encode_response(empty));
    state().source.holdings(
        std::move(message.segment_ids),
        on_strand([empty](Session& self, std::vector<std::optional<SegmentHoldings>> held) mutable {
          SegmentListAnswer answer = answer_segment_list(held);
          empty.ranges = std::move(answer.ranges);
          empty.extensible_blob = std::move(answer.extensible_blob);
          self.reply(wire::pccrr::encode_response(empty));
        }));
  }

  // The empty MSG_BLK (A30), for a block not held or a busy server.
  static Bytes missing_block(const wire::pccrr::SegmentId& segment_id, pccrc::BlockIndex index) {
    return wire::pccrr::encode_response(wire::pccrr::missing_block(segment_id, index));
  }

  // Encrypts under a fresh IV straight into the response, on the pool when there is one.
  void encrypt(const wire::pccrr::SegmentId& segment_id, pccrc::BlockIndex index,
               ServedBlock block) {
    wire::pccrr::MsgBlk fields;
    fields.crypto = state().options.algorithm;
    fields.segment_id = segment_id;
    fields.block_index = index;
    fields.next_block_index = block.next_present.value_or(pccrc::BlockIndex{0});
    auto work = [self = shared_from_this(), request = request_, fields,
                 block = std::move(block)]() {
      std::optional<Bytes> response;
      try {
        auto encoded = wire::pccrr::encode_blk_response(fields, block.kp.bytes(), block.bytes);
        if (encoded) response = std::move(*encoded);
      } catch (const std::length_error&) {
        // A block too large for MSG_BLK: the cache holds nothing like it; served as missing.
      }
      const std::size_t plaintext = block.bytes.size();
      asio::dispatch(self->state().strand,
                     [self, request, fields, plaintext, response = std::move(response)]() mutable {
                       if (self->closed_ || request != self->request_) return;
                       if (!response) {
                         // Kp too short for the configured cipher: nothing a peer could decrypt.
                         bump(self->state().counters.not_held);
                         return self->reply(missing_block(fields.segment_id, fields.block_index));
                       }
                       bump(self->state().counters.blocks_served);
                       bump(self->state().counters.block_bytes_served, plaintext);
                       self->reply(std::move(*response));
                     });
    };
    if (state().options.crypto_pool != nullptr) {
      state().options.crypto_pool->submit(std::move(work));
    } else {
      work();
    }
  }

  // §1.11 step 3/4: a slot and the Upload Timer, or false (busy: the caller sends the empty
  // form).
  bool start_upload() {
    if (!state().acquire_upload(peer_)) {
      bump(state().counters.busy);
      return false;
    }
    holds_upload_ = true;
    upload_timer_.expires_after(state().options.upload_timeout);
    upload_timer_.async_wait(
        [self = shared_from_this(), request = request_](boost::system::error_code ec) {
          if (ec || self->closed_ || request != self->request_) return;
          bump(self->state().counters.timed_out);
          self->close();
        });
    return true;
  }

  void release_upload() {
    if (!holds_upload_) return;
    holds_upload_ = false;
    state().release_upload(peer_);
  }

  void reply(Bytes body) {
    if (closed_) return;
    response_.emplace(http::status::ok, version_);
    response_->set(http::field::server, kServerName);
    response_->set(http::field::content_type, kContentType);
    response_->keep_alive(keep_alive_);
    response_->body() = std::move(body);
    response_->prepare_payload();
    const std::size_t size = response_->body().size();
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), size](beast::error_code ec, std::size_t) {
                        self->on_written(ec, size);
                      });
  }

  void on_written(beast::error_code ec, std::size_t body_size) {
    if (closed_) return;
    // §1.11 step 5: the upload ends once its response is sent.
    ++request_;
    upload_timer_.cancel();
    release_upload();
    if (ec) return close();
    bump(state().counters.response_bytes, body_size);
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    if (!keep_alive) return close();
    read_header();
  }

  // An HTTP error, then close (A31): what follows the request on this connection is not worth
  // reading.
  void reply_error(http::status status) {
    if (closed_) return;
    bump(status == http::status::bad_request ? state().counters.malformed
                                             : state().counters.rejected);
    ++request_;
    release_upload();
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, kServerName);
    if (status == http::status::method_not_allowed) response->set(http::field::allow, "POST");
    response->keep_alive(false);
    response->prepare_payload();
    stream_.expires_after(state().options.body_timeout);
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response](beast::error_code, std::size_t) { self->close(); });
  }

  std::shared_ptr<State> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::optional<Response> response_;
  asio::steady_timer upload_timer_;
  asio::ip::address peer_;
  std::uint64_t id_;
  // Advances at the end of each request, so that answers and timers of an earlier one are told
  // apart from those of the current one.
  std::uint64_t request_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool holds_upload_ = false;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------

void PccrrServer::State::accept(std::size_t which) {
  if (stopped) return;
  acceptors[which].async_accept(strand, [this, self = shared_from_this(), which](
                                            boost::system::error_code ec, tcp::socket socket) {
    if (stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors, say: try again a little later rather than spin.
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([this, self, which](boost::system::error_code wait_ec) {
        if (!wait_ec) accept(which);
      });
      return;
    }
    if (sessions.size() >= options.max_connections) {
      bump(counters.refused_connections);
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      bump(counters.connections);
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // one response, sent whole
      const std::uint64_t id = next_session_id++;
      auto session = std::make_shared<Session>(self, std::move(socket), id);
      sessions.emplace(id, session);
      session->start();
    }
    accept(which);
  });
}

void PccrrServer::State::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  for (auto& acceptor : acceptors) acceptor.close(ignored);
  retry_timer.cancel();
  // close() erases from the map: close a copy.
  auto open = sessions;
  for (auto& [id, weak] : open) {
    if (auto session = weak.lock()) session->close();
  }
  sessions.clear();
}

PccrrServer::PccrrServer(asio::any_io_executor executor, SegmentSource& source,
                         PccrrServerOptions options)
    : state_(std::make_shared<State>(std::move(executor), source, std::move(options))) {}

PccrrServer::~PccrrServer() {
  stop();
}

Expected<void, std::string> PccrrServer::listen() {
  auto acceptors = listen_on(state_->strand, state_->options.endpoints);
  if (!acceptors) return Unexpected(acceptors.error());
  state_->acceptors = std::move(*acceptors);
  for (std::size_t n = 0; n < state_->acceptors.size(); ++n) state_->accept(n);
  return {};
}

std::vector<tcp::endpoint> PccrrServer::local_endpoints() const {
  return local_endpoints_of(state_->acceptors);
}

void PccrrServer::stop() {
  asio::dispatch(state_->strand, [state = state_] { state->stop(); });
}

PccrrServerCounters PccrrServer::counters() const noexcept {
  const AtomicCounters& c = state_->counters;
  PccrrServerCounters out;
  out.connections = read(c.connections);
  out.refused_connections = read(c.refused_connections);
  out.nego_requests = read(c.nego_requests);
  out.getblklist_requests = read(c.getblklist_requests);
  out.getblks_requests = read(c.getblks_requests);
  out.getseglist_requests = read(c.getseglist_requests);
  out.version_mismatches = read(c.version_mismatches);
  out.blocks_served = read(c.blocks_served);
  out.block_bytes_served = read(c.block_bytes_served);
  out.response_bytes = read(c.response_bytes);
  out.not_held = read(c.not_held);
  out.busy = read(c.busy);
  out.malformed = read(c.malformed);
  out.rejected = read(c.rejected);
  out.timed_out = read(c.timed_out);
  return out;
}

}  // namespace peerdist::net
