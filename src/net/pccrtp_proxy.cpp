#include "peerdist/net/pccrtp_proxy.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <set>

#include "peerdist/net/pccrtp_access_log.hpp"
#include "peerdist/net/pccrtp_response_fields.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"

namespace peerdist::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace pccrtp = wire::pccrtp;

namespace {

// What the proxy adds to Via (RFC 9110 7.6.3): the protocol version it received, and a
// pseudonym. Responses go out as HTTP/1.1 from the upstream's point of view too.
constexpr std::string_view kViaEntry = "1.1 peerdist";
constexpr std::string_view kViaEntryHttp10 = "1.0 peerdist";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The elements of a comma-separated field value, trimmed, empty ones dropped.
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto element = trim(value.substr(0, comma));
    if (!element.empty()) out.push_back(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// Hop-by-hop fields (RFC 9110 7.6.1), lower-cased: the fixed ones, Proxy-*, and every name the
// message's Connection field lists. They concern one connection and are never forwarded.
template <class Fields>
std::set<std::string> hop_by_hop_of(const Fields& fields) {
  std::set<std::string> names = {"connection", "keep-alive", "te",
                                 "trailer",    "upgrade",    "transfer-encoding"};
  for (const auto& f : fields) {
    if (beast::iequals(f.name_string(), "Connection")) {
      for (auto token : list_elements(std::string_view(f.value().data(), f.value().size()))) {
        names.insert(lower(token));
      }
    }
  }
  return names;
}

bool is_hop_by_hop(const std::set<std::string>& names, std::string_view name) {
  const std::string low = lower(name);
  return names.contains(low) || low.starts_with("proxy-");
}

// Accept-Encoding without the peerdist coding: the upstream need not know it (the proxy speaks
// it), and one that does must not answer with its own CI, which the proxy could not check.
std::string without_peerdist(std::string_view accept_encoding) {
  std::string out;
  for (auto element : list_elements(accept_encoding)) {
    const auto coding = trim(element.substr(0, element.find(';')));
    if (beast::iequals(coding, pccrtp::kPeerDistCoding)) continue;
    if (!out.empty()) out += ", ";
    out += element;
  }
  return out;
}

// Appends `entry` to a list-valued field (Via, X-Forwarded-For, Vary).
template <class Message>
void append_to(Message& message, std::string_view name, std::string_view entry) {
  const auto it = message.find(name);
  if (it == message.end() || it->value().empty()) {
    message.set(name, entry);
    return;
  }
  message.set(name, std::string(it->value()) + ", " + std::string(entry));
}

// "Vary: Accept-Encoding" on what the proxy may answer differently by Accept-Encoding, as the
// origin does: a shared cache must not give a peerdist body to a plain client.
template <class Message>
void vary_on_accept_encoding(Message& message) {
  if (const auto it = message.find(http::field::vary); it != message.end()) {
    for (auto element : list_elements(std::string_view(it->value().data(), it->value().size()))) {
      if (element == "*" || beast::iequals(element, "Accept-Encoding")) return;
    }
  }
  append_to(message, "Vary", "Accept-Encoding");
}

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
  counter.fetch_add(by, std::memory_order_relaxed);
}

void raise_to(std::atomic<std::uint64_t>& peak, std::uint64_t value) noexcept {
  std::uint64_t seen = peak.load(std::memory_order_relaxed);
  while (seen < value && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

PccrtpProxyResult reply_with(http::status status) {
  PccrtpProxyResult result;
  result.reply = status;
  return result;
}

PccrtpProxyResult ended(beast::error_code ec = {}) {
  PccrtpProxyResult result;
  result.ec = ec;
  return result;
}

bool is_timeout(beast::error_code ec) {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

}  // namespace

PccrtpProxyExchange::PccrtpProxyExchange(PccrtpProxyContext context, beast::tcp_stream& client,
                                         const Request& request, std::string client_address,
                                         bool keep_alive, pccrtp::NegotiationResult negotiated,
                                         Done done)
    : context_(std::move(context)),
      client_(client),
      client_target_(request.target()),
      client_version_(request.version()),
      client_head_(request.method() == http::verb::head),
      keep_alive_(keep_alive),
      negotiated_(std::move(negotiated)),
      done_(std::move(done)),
      resolver_(context_.strand),
      resolve_timer_(context_.strand) {
  const PccrtpUpstream& upstream = *context_.upstream;
  url_ = upstream.url_for(client_target_);
  peerdist_ = negotiated_.negotiation.has_value() && context_.cache != nullptr;
  if (peerdist_) ci_version_ = ci_version_of(*negotiated_.negotiation);

  // The forwarded request: the client's end-to-end fields, minus what the proxy answers itself.
  upstream_request_.method(request.method());
  upstream_request_.target(upstream.target_for(client_target_));
  upstream_request_.version(11);
  const auto hop = hop_by_hop_of(request);
  for (const auto& f : request) {
    const std::string_view name(f.name_string().data(), f.name_string().size());
    if (is_hop_by_hop(hop, name) || beast::iequals(name, "Host") ||
        beast::iequals(name, "Content-Length") || beast::iequals(name, "Expect") ||
        beast::iequals(name, pccrtp::kPeerDistField) ||
        beast::iequals(name, pccrtp::kPeerDistExField) || beast::iequals(name, "Accept-Encoding")) {
      continue;
    }
    upstream_request_.insert(f.name_string(), f.value());
  }
  if (peerdist_) {
    // The body is hashed as it passes: it must be the identity coding.
    upstream_request_.set(http::field::accept_encoding, "identity");
  } else if (const auto it = request.find(http::field::accept_encoding); it != request.end()) {
    const std::string rest =
        without_peerdist(std::string_view(it->value().data(), it->value().size()));
    if (!rest.empty()) upstream_request_.set(http::field::accept_encoding, rest);
  }
  upstream_request_.set(http::field::host, upstream.host_field());
  append_to(upstream_request_, "Via", request.version() == 10 ? kViaEntryHttp10 : kViaEntry);
  append_to(upstream_request_, "X-Forwarded-For", client_address);
  // One upstream connection per request (no pool yet): the upstream may close when done.
  upstream_request_.keep_alive(false);
}

void PccrtpProxyExchange::start() {
  if (client_target_.empty() || client_target_.front() != '/') {
    return complete(reply_with(http::status::bad_request));
  }
  // A CI is stored for some version of this URL: ask with HEAD whether it is still the one.
  // A hit then costs the upstream a header instead of the body bytes already in flight
  // before the proxy can abandon a GET.
  if (peerdist_ && context_.cache->knows(url_, ci_version_)) {
    probing_ = true;
    upstream_request_.method(http::verb::head);
    bump(context_.counters->head_probes);
  }
  connect();
}

void PccrtpProxyExchange::cancel() {
  finished_ = true;
  resolver_.cancel();
  resolve_timer_.cancel();
  close_upstream();
}

void PccrtpProxyExchange::close_upstream() {
  if (!upstream_) return;
  beast::error_code ignored;
  upstream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  upstream_->close();
}

void PccrtpProxyExchange::connect() {
  const PccrtpUpstream& upstream = *context_.upstream;
  upstream_.emplace(context_.strand);
  upstream_buffer_.clear();
  // Beast reads as much as the buffer's free capacity (at least 512 bytes): without room for
  // a whole piece every body read would be a 512-byte recv (measured: 4 MB/s on loopback).
  upstream_buffer_.reserve(kRelayPiece);
  parser_.emplace();
  parser_->header_limit(kMaxUpstreamHeader);
  parser_->body_limit(boost::none);  // streamed, never held: any length
  if (upstream_request_.method() == http::verb::head) parser_->skip(true);
  bump(context_.counters->upstream_requests);
  // The resolver has no timeout of its own (a name server that does not answer).
  resolve_timer_.expires_after(upstream.connect_timeout);
  resolve_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->resolver_.cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  resolver_.async_resolve(
      upstream.host, std::to_string(upstream.port),
      [self = shared_from_this(), started](beast::error_code ec,
                                           asio::ip::tcp::resolver::results_type results) {
        self->resolve_timer_.cancel();
        if (self->finished_) return;
        if (ec) {
          const auto waited = std::chrono::steady_clock::now() - started;
          return self->fail_before_header(ec == asio::error::operation_aborted &&
                                                  waited >= self->context_.upstream->connect_timeout
                                              ? beast::error_code(beast::error::timeout)
                                              : ec);
        }
        self->upstream_->expires_after(self->context_.upstream->connect_timeout);
        self->upstream_->async_connect(
            results, [self](beast::error_code connect_ec, const asio::ip::tcp::endpoint&) {
              self->on_connected(connect_ec);
            });
      });
}

void PccrtpProxyExchange::on_connected(beast::error_code ec) {
  if (finished_) return;
  if (ec) return fail_before_header(ec);
  upstream_->expires_after(context_.upstream->response_timeout);
  http::async_write(*upstream_, upstream_request_,
                    [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                      if (self->finished_) return;
                      if (write_ec) return self->fail_before_header(write_ec);
                      http::async_read_header(*self->upstream_, self->upstream_buffer_,
                                              *self->parser_,
                                              [self](beast::error_code read_ec, std::size_t bytes) {
                                                self->on_header(read_ec, bytes);
                                              });
                    });
}

// Nothing reached the client yet: 504 for a timeout, 502 for anything else (refused, reset,
// not HTTP).
void PccrtpProxyExchange::fail_before_header(beast::error_code ec) {
  close_upstream();
  complete(reply_with(is_timeout(ec) ? http::status::gateway_timeout : http::status::bad_gateway));
}

std::optional<UpstreamIdentity> PccrtpProxyExchange::identity_of_response() const {
  const auto& response = parser_->get();
  if (response.result() != http::status::ok) return std::nullopt;
  if (response.find(http::field::content_range) != response.end()) return std::nullopt;
  if (const auto it = response.find(http::field::content_encoding);
      it != response.end() &&
      !beast::iequals(trim(std::string_view(it->value().data(), it->value().size())), "identity")) {
    return std::nullopt;
  }
  if (parser_->chunked()) return std::nullopt;
  const auto length = response.find(http::field::content_length);
  if (length == response.end()) return std::nullopt;
  std::uint64_t size = 0;
  try {
    size = std::stoull(std::string(length->value()));
  } catch (const std::exception&) {
    return std::nullopt;  // the parser already refused a malformed one; belt and braces
  }
  UpstreamIdentity identity;
  identity.url = url_;
  identity.length = size;
  if (const auto it = response.find(http::field::etag); it != response.end()) {
    const std::string_view tag = trim(std::string_view(it->value().data(), it->value().size()));
    if (!tag.starts_with("W/")) identity.etag = std::string(tag);
  }
  if (const auto it = response.find(http::field::last_modified); it != response.end()) {
    identity.last_modified =
        std::string(trim(std::string_view(it->value().data(), it->value().size())));
  }
  if (identity.etag.empty() && identity.last_modified.empty()) return std::nullopt;
  return identity;
}

void PccrtpProxyExchange::on_header(beast::error_code ec, std::size_t bytes) {
  if (finished_) return;
  bump(context_.counters->upstream_bytes, bytes);
  if (ec) return fail_before_header(ec);
  std::optional<UpstreamIdentity> identity;
  if (peerdist_) identity = identity_of_response();
  if (identity) {
    if (auto ci = context_.cache->find(*identity, ci_version_)) {
      pccrtp::ResourceFacts resource{identity->length, true, true};
      if (pccrtp::decide(negotiated_, resource).outcome == pccrtp::Outcome::kPeerDist) {
        return answer_peerdist(std::move(*ci), identity->length);
      }
    }
  }
  if (probing_) {
    // The HEAD did not confirm a stored CI: the body is needed after all.
    probing_ = false;
    close_upstream();
    upstream_request_.method(http::verb::get);
    return connect();
  }
  pccrtp::ResourceFacts resource;
  resource.size = identity ? identity->length : 0;
  resource.has_validator = identity.has_value();
  const auto decision = peerdist_ ? pccrtp::decide(negotiated_, resource) : pccrtp::Decision{};
  mode_ = kAccessModePlain;
  if (decision.outcome == pccrtp::Outcome::kPlainMakeHashRequest && !client_head_) {
    builder_ = context_.cache->builder(ci_version_);
    hashing_ = identity;
    mode_ = kAccessModeMakeHashRequest;
  }
  relay_header();
}

void PccrtpProxyExchange::answer_peerdist(std::vector<std::uint8_t> ci, std::uint64_t size) {
  // The body the upstream started to send is abandoned with its connection.
  close_upstream();
  bump(context_.counters->cache_hits);
  const auto& upstream = parser_->get();
  auto response = std::make_shared<http::response<http::vector_body<std::uint8_t>>>();
  response->version(client_version_);
  response->result(http::status::ok);
  const auto hop = hop_by_hop_of(upstream);
  for (const auto& f : upstream) {
    const std::string_view name(f.name_string().data(), f.name_string().size());
    if (is_hop_by_hop(hop, name) || beast::iequals(name, "Content-Length") ||
        beast::iequals(name, "Content-Encoding")) {
      continue;
    }
    response->insert(f.name_string(), f.value());
  }
  append_to(*response, "Via", kViaEntry);
  vary_on_accept_encoding(*response);
  set_peerdist_fields(*response, *negotiated_.negotiation, size);
  response->body() = std::move(ci);
  PccrtpProxyResult result;
  result.response = response;
  result.mode = peerdist_access_mode(ci_version_);
  complete(std::move(result));
}

void PccrtpProxyExchange::relay_header() {
  const auto& upstream = parser_->get();
  auto header = std::make_shared<http::response<http::empty_body>>();
  header->version(client_version_);
  header->result(upstream.result_int());
  header->reason(upstream.reason());
  const auto hop = hop_by_hop_of(upstream);
  for (const auto& f : upstream) {
    const std::string_view name(f.name_string().data(), f.name_string().size());
    if (is_hop_by_hop(hop, name)) continue;
    if (beast::iequals(name, "Content-Length") && parser_->chunked()) continue;
    header->insert(f.name_string(), f.value());
  }
  append_to(*header, "Via", kViaEntry);
  status_ = upstream.result_int();
  if (status_ / 100 == 2 && context_.cache != nullptr) vary_on_accept_encoding(*header);
  if (hashing_) set_make_hash_fields(*header, *negotiated_.negotiation);

  // How the body is delimited towards the client.
  const bool no_body = client_head_ || status_ / 100 == 1 || status_ == 204 || status_ == 304;
  if (no_body) {
    framing_ = BodyFraming::kNone;
  } else if (parser_->content_length()) {
    framing_ = BodyFraming::kLength;
  } else if (client_version_ >= 11) {
    framing_ = BodyFraming::kChunked;  // the upstream's was chunked or ended by closing
    header->set(http::field::transfer_encoding, "chunked");
  } else {
    framing_ = BodyFraming::kClose;  // an HTTP/1.0 client: the end is the connection's
    keep_alive_ = false;
  }
  header->keep_alive(keep_alive_);
  piece_.resize(framing_ == BodyFraming::kNone ? 0 : kRelayPiece);
  raise_to(context_.counters->peak_buffered, piece_.size() + upstream_buffer_.capacity());

  client_.expires_after(context_.send_timeout);
  auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
  http::async_write_header(
      client_, *serializer,
      [self = shared_from_this(), header, serializer](beast::error_code ec, std::size_t) {
        self->client_.expires_never();
        if (self->finished_) return;
        if (ec) {
          self->close_upstream();
          return self->complete(ended(ec));
        }
        if (self->framing_ == BodyFraming::kNone) {
          self->close_upstream();
          return self->complete(ended());
        }
        self->read_piece();
      });
}

void PccrtpProxyExchange::read_piece() {
  if (parser_->is_done()) return end_body();
  auto& body = parser_->get().body();
  body.data = piece_.data();
  body.size = piece_.size();
  body.more = true;
  upstream_->expires_after(context_.upstream->response_timeout);
  // read_some: whatever arrived goes on to the client at once. async_read would wait for a
  // whole piece, holding back the bytes of a slow upstream (and losing them to a timeout).
  http::async_read_some(*upstream_, upstream_buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                          self->on_piece(ec, bytes);
                        });
}

void PccrtpProxyExchange::on_piece(beast::error_code ec, std::size_t bytes) {
  if (finished_) return;
  bump(context_.counters->upstream_bytes, bytes);
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    // A cut or stalled body after the header went out: the client's connection is cut too (it
    // sees fewer bytes than promised, or no last chunk), and no CI is stored.
    close_upstream();
    return complete(ended(ec));
  }
  raise_to(context_.counters->peak_buffered, piece_.size() + upstream_buffer_.capacity());
  const std::size_t length = piece_.size() - parser_->get().body().size;
  if (builder_ && length > 0) {
    try {
      builder_->add(std::span<const std::uint8_t>(piece_.data(), length));
      hashed_ += length;
    } catch (const std::exception&) {
      builder_.reset();  // out of memory, say: the relay goes on, without a CI this time
    }
  }
  if (length == 0) return read_piece();
  write_piece(length);
}

void PccrtpProxyExchange::write_piece(std::size_t length) {
  client_.expires_after(context_.send_timeout);
  auto written = [self = shared_from_this(), length](beast::error_code ec, std::size_t) {
    self->client_.expires_never();
    if (self->finished_) return;
    if (ec) {
      // The client went away: the upstream body is dropped with it (and so is the hash).
      self->close_upstream();
      return self->complete(ended(ec));
    }
    self->sent_ += length;
    self->read_piece();
  };
  const auto data = asio::buffer(piece_.data(), length);
  if (framing_ == BodyFraming::kChunked) {
    asio::async_write(client_, http::make_chunk(data), std::move(written));
  } else {
    asio::async_write(client_, data, std::move(written));
  }
}

void PccrtpProxyExchange::end_body() {
  close_upstream();
  store_ci();
  if (framing_ != BodyFraming::kChunked) return complete(ended());
  client_.expires_after(context_.send_timeout);
  asio::async_write(client_, http::make_chunk_last(),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->client_.expires_never();
                      if (self->finished_) return;
                      self->complete(ended(ec));
                    });
}

// Only a body of exactly the promised length is hashed into a CI: the parser ends a body at
// Content-Length, and one cut short never gets here.
void PccrtpProxyExchange::store_ci() {
  if (!builder_ || !hashing_ || hashed_ != hashing_->length) return;
  try {
    auto ci = builder_->finish();
    builder_.reset();
    if (ci) context_.cache->store(*hashing_, ci_version_, pccrc::encode(*ci));
  } catch (const std::exception&) {
    builder_.reset();  // as in on_piece: the next request hashes again
  }
}

void PccrtpProxyExchange::complete(PccrtpProxyResult result) {
  if (finished_) return;
  finished_ = true;
  if (!result.reply && !result.response) {
    result.status = status_;
    result.body_bytes = sent_;
    result.mode = mode_;
    result.keep_alive = keep_alive_;
  }
  auto done = std::move(done_);
  done(std::move(result));
}

}  // namespace peerdist::net
