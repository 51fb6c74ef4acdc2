#include "peerdist/net/pccrtp_origin.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <utility>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/net/pccrtp_files.hpp"
#include "peerdist/net/pccrtp_proxy.hpp"
#include "peerdist/net/pccrtp_response_fields.hpp"
#include "peerdist/net/tcp_listener.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/decision.hpp"

namespace peerdist::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace pccrtp = wire::pccrtp;
using tcp = asio::ip::tcp;

namespace {

constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kServerName = "peerdist";
// One sendfile(2) call sends at most this much before the session yields the strand to the
// other connections: fair between clients, and a few hundred calls per GiB.
constexpr std::size_t kSendChunk = std::size_t{4} << 20U;

using Strand = asio::strand<asio::any_io_executor>;
using RequestParser = http::request_parser<http::empty_body>;

struct AtomicCounters {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> responses{0};
  std::atomic<std::uint64_t> peerdist_responses{0};
  std::atomic<std::uint64_t> make_hash_responses{0};
  std::atomic<std::uint64_t> body_bytes{0};
};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
  counter.fetch_add(by, std::memory_order_relaxed);
}

// sendfile(2) has no MSG_NOSIGNAL: to a peer that has gone it raises SIGPIPE, which kills a
// process that does not ignore it (`peerdist serve` does not, nor does a test program). So
// SIGPIPE is blocked on this thread for the call, and one it raised is taken away before the
// mask is restored; a SIGPIPE that was already pending for another reason is left alone.
ssize_t sendfile_without_sigpipe(int out, int in, off_t* offset, std::size_t count) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  const ssize_t n = ::sendfile(out, in, offset, count);
  const int saved = errno;
  // Not only on -1/EPIPE: sendfile copies in steps and may report the bytes of the steps that
  // went out although a later one met the closed connection and raised the signal.
  sigpending(&pending);
  if (!already_pending && sigismember(&pending, SIGPIPE) == 1) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved;
  return n;
}

std::string_view content_type_of(std::string_view path) {
  static const std::map<std::string_view, std::string_view> kTypes = {
      {".html", "text/html"},      {".htm", "text/html"},
      {".txt", "text/plain"},      {".css", "text/css"},
      {".js", "text/javascript"},  {".json", "application/json"},
      {".xml", "application/xml"}, {".png", "image/png"},
      {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},       {".svg", "image/svg+xml"},
      {".pdf", "application/pdf"}, {".zip", "application/zip"},
      {".gz", "application/gzip"}, {".iso", "application/x-iso9660-image"},
      {".efi", "application/efi"}, {".wim", "application/octet-stream"}};
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    if (auto it = kTypes.find(path.substr(dot)); it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// If-None-Match: "*" or a list of entity tags, compared weakly (RFC 9110 13.1.2).
bool none_match_hits(std::string_view header, std::string_view etag) {
  std::size_t pos = 0;
  while (pos <= header.size()) {
    const auto end = std::min(header.find(',', pos), header.size());
    std::string_view tag = trim(header.substr(pos, end - pos));
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (end == header.size()) break;
    pos = end + 1;
  }
  return false;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

// "bytes=a-b", "bytes=a-", "bytes=-n" (one range). nullopt: ignore the header and send 200
// (several ranges, another unit, or garbage: RFC 9110 lets a server ignore Range). An
// unsatisfiable range is a ByteRange with first > last.
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  header = trim(header);
  if (!header.starts_with("bytes=")) return std::nullopt;
  header.remove_prefix(6);
  if (header.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    digits = trim(digits);
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
  };
  const std::string_view left = trim(header.substr(0, dash));
  const std::string_view right = trim(header.substr(dash + 1));
  if (left.empty()) {  // suffix: the last n bytes
    const auto n = number(right);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return ByteRange{1, 0};
    return ByteRange{size - std::min(*n, size), size - 1};
  }
  const auto first = number(left);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!right.empty()) {
    const auto given = number(right);
    if (!given || *given < *first) return std::nullopt;
    last = std::min(*given, last);
  }
  if (*first >= size) return ByteRange{1, 0};
  return ByteRange{*first, last};
}

std::optional<std::string_view> field(const http::request<http::empty_body>& request,
                                      std::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

// What the decision needs of a request, for files and the proxy alike.
pccrtp::NegotiationResult negotiate_request(const http::request<http::empty_body>& request) {
  pccrtp::RequestFacts facts;
  facts.method = request.method() == http::verb::head  ? pccrtp::Method::kHead
                 : request.method() == http::verb::get ? pccrtp::Method::kGet
                                                       : pccrtp::Method::kOther;
  facts.http_1_0 = request.version() == 10;
  facts.has_range = request.find(http::field::range) != request.end();
  facts.accept_encoding = field(request, "Accept-Encoding");
  facts.peerdist = field(request, pccrtp::kPeerDistField);
  facts.peerdist_ex = field(request, pccrtp::kPeerDistExField);
  return pccrtp::negotiate(facts);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct PccrtpOrigin::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor executor, PccrtpOriginOptions opts)
      : strand(asio::make_strand(std::move(executor))),
        options(std::move(opts)),
        retry_timer(strand) {}

  Strand strand;
  const PccrtpOriginOptions options;
  ipc::UniqueFd root;
  std::vector<tcp::acceptor> acceptors;
  asio::steady_timer retry_timer;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 1;
  bool stopped = false;
  AtomicCounters counters;
  PccrtpProxyCounters proxy_counters;

  void accept(std::size_t which);
  void stop();
};

// One connection: one request at a time, kept alive while the client asks.
class PccrtpOrigin::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, tcp::socket socket, std::uint64_t id)
      : state_(std::move(state)), stream_(std::move(socket)), send_timer_(state_->strand), id_(id) {
    boost::system::error_code ec;
    client_ = stream_.socket().remote_endpoint(ec).address().to_string(ec);
  }

  void start() { read_header(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    send_timer_.cancel();
    if (auto exchange = exchange_.lock()) exchange->cancel();
    exchange_.reset();
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    state_->sessions.erase(id_);
  }

 private:
  State& state() { return *state_; }
  const PccrtpOriginOptions& options() { return state_->options; }

  void read_header() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(options().max_header_size);
    stream_.expires_after(options().idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (closed_) return;
    stream_.expires_never();
    if (ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        return close();
      }
      // Malformed HTTP, a header over the limit: 400, then close.
      method_ = "-";
      target_ = "-";
      keep_alive_ = false;
      return send_simple(http::status::bad_request);
    }
    const auto& request = parser_->get();
    method_ = std::string(request.method_string());
    target_ = std::string(request.target());
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    // A body we would have to read past before the next request: answer, then close.
    if (parser_->chunked() || parser_->content_length().value_or(0) > 0) keep_alive_ = false;
    handle(request);
  }

  void handle(const http::request<http::empty_body>& request) {
    const bool head = request.method() == http::verb::head;
    if (request.method() != http::verb::get && !head) {
      keep_alive_ = false;
      return send_simple(http::status::method_not_allowed);
    }
    if (options().upstream) return forward(request);
    auto path = target_to_path(request.target());
    if (!path) return send_simple(http::status::bad_request);
    auto file = open_beneath(state().root.get(), *path);
    if (!file) {
      return send_simple(file.error() == TargetError::kBadTarget ? http::status::bad_request
                                                                 : http::status::not_found);
    }
    const auto identity = identity_of(file->get());
    if (!identity) return send_simple(http::status::not_found);
    const std::string etag = etag_of(*identity);
    const std::string last_modified = http_date(identity->mtime_ns / 1'000'000'000);

    auto response = std::make_shared<http::response<http::vector_body<std::uint8_t>>>();
    response->version(version_);
    response->set(http::field::server, kServerName);
    response->set(http::field::etag, etag);
    response->set(http::field::last_modified, last_modified);
    response->set(http::field::accept_ranges, "bytes");
    // The body differs with Accept-Encoding (peerdist or not): caches must key on it.
    response->set(http::field::vary, "Accept-Encoding");

    // Conditional requests (RFC 9110 13.2.2): If-None-Match wins over If-Modified-Since.
    bool not_modified = false;
    if (const auto inm = field(request, "If-None-Match")) {
      not_modified = none_match_hits(*inm, etag);
    } else if (const auto ims = field(request, "If-Modified-Since")) {
      const auto since = parse_http_date(*ims);
      not_modified = since && identity->mtime_ns / 1'000'000'000 <= *since;
    }
    if (not_modified) {
      response->result(http::status::not_modified);
      return send_memory(response, kAccessModePlain);
    }

    const auto negotiated = negotiate_request(request);

    pccrtp::ResourceFacts resource;
    resource.size = identity->size;
    resource.has_validator = true;
    std::optional<std::vector<std::uint8_t>> ci;
    pccrc::Version ci_version = pccrc::Version::v1;
    if (negotiated.negotiation && options().cache != nullptr &&
        identity->size >= pccrtp::kMinimumPeerDistSize) {
      ci_version = ci_version_of(*negotiated.negotiation);
      ci = options().cache->find(*identity, ci_version);
      if (!ci && identity->size <= options().inline_hash_limit) {
        ci = options().cache->compute(file->get(), *identity, ci_version);
      }
      resource.ci_ready = ci.has_value();
    }
    auto decision = pccrtp::decide(negotiated, resource);
    if (options().cache == nullptr && decision.outcome != pccrtp::Outcome::kPlain) {
      decision = pccrtp::Decision{};  // no cache: a plain origin
    }

    if (decision.outcome == pccrtp::Outcome::kPeerDist) {
      response->result(http::status::ok);
      response->set(http::field::content_type, content_type_of(*path));
      set_peerdist_fields(*response, *decision.negotiation, identity->size);
      response->body() = std::move(*ci);
      return send_memory(response, peerdist_access_mode(ci_version));
    }

    std::string_view mode = kAccessModePlain;
    if (decision.outcome == pccrtp::Outcome::kPlainMakeHashRequest) {
      options().cache->schedule(file->get(), *identity, ci_version);
      set_make_hash_fields(*response, *decision.negotiation);
      mode = kAccessModeMakeHashRequest;
    }
    response->set(http::field::content_type, content_type_of(*path));

    // Range (one range; If-Range must match the ETag or the Last-Modified date exactly).
    std::uint64_t first = 0;
    std::uint64_t length = identity->size;
    response->result(http::status::ok);
    if (const auto range_header = field(request, "Range")) {
      bool use_range = true;
      if (const auto if_range = field(request, "If-Range")) {
        use_range = *if_range == etag || *if_range == last_modified;
      }
      const auto range = use_range ? parse_range(*range_header, identity->size) : std::nullopt;
      if (range && range->first > range->last) {
        response->result(http::status::range_not_satisfiable);
        response->set(http::field::content_range, "bytes */" + std::to_string(identity->size));
        response->erase(pccrtp::kPeerDistField);
        response->erase(pccrtp::kPeerDistExField);
        return send_memory(response, kAccessModePlain);
      }
      if (range) {
        first = range->first;
        length = range->last - range->first + 1;
        response->result(http::status::partial_content);
        response->set(http::field::content_range, "bytes " + std::to_string(range->first) + "-" +
                                                      std::to_string(range->last) + "/" +
                                                      std::to_string(identity->size));
      }
    }
    send_file(std::move(*response), std::move(*file), first, length, head, mode);
  }

  // Reverse proxy mode: the exchange talks to the upstream and either relays its answer itself
  // or hands back what this session sends (an error status, a peerdist answer).
  void forward(const http::request<http::empty_body>& request) {
    PccrtpProxyContext context;
    context.strand = state().strand;
    context.upstream = &*options().upstream;
    context.cache = options().cache;
    context.send_timeout = options().send_timeout;
    context.counters = &state().proxy_counters;
    auto exchange = std::make_shared<PccrtpProxyExchange>(
        context, stream_, request, client_, keep_alive_, negotiate_request(request),
        [self = shared_from_this()](PccrtpProxyResult result) {
          self->exchange_.reset();
          if (self->closed_) return;
          if (result.reply) return self->send_simple(*result.reply);
          if (result.response) return self->send_memory(result.response, result.mode);
          self->status_ = result.status;
          self->mode_ = result.mode;
          if (!result.keep_alive) self->keep_alive_ = false;
          self->finish(result.ec, result.body_bytes);
        });
    exchange_ = exchange;
    exchange->start();
  }

  // An error without a file: 400, 404, 405 (and the proxy's 502, 504).
  void send_simple(http::status status) {
    auto response = std::make_shared<http::response<http::vector_body<std::uint8_t>>>();
    response->version(version_ == 10 ? 10 : 11);
    response->result(status);
    response->set(http::field::server, kServerName);
    response->set(http::field::content_type, "text/plain");
    if (status == http::status::method_not_allowed) response->set(http::field::allow, "GET, HEAD");
    const std::string text = std::string(http::obsolete_reason(status)) + "\n";
    response->body().assign(text.begin(), text.end());
    if (status == http::status::bad_request) keep_alive_ = false;
    send_memory(response, kAccessModePlain);
  }

  void send_memory(std::shared_ptr<http::response<http::vector_body<std::uint8_t>>> response,
                   std::string_view mode) {
    if (closed_) return;
    response->keep_alive(keep_alive_);
    const bool head = method_ == "HEAD";
    const std::uint64_t body =
        head || response->result() == http::status::not_modified ? 0 : response->body().size();
    response->prepare_payload();
    if (head) response->body().clear();  // HEAD: the GET's Content-Length, no body
    status_ = response->result_int();
    mode_ = mode;
    stream_.expires_after(options().send_timeout);
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response, body](beast::error_code ec, std::size_t) {
          self->stream_.expires_never();
          self->finish(ec, ec ? 0 : body);
        });
  }

  // The header from Beast, then the body straight from the file with sendfile(2).
  void send_file(http::response<http::vector_body<std::uint8_t>> with_headers, ipc::UniqueFd file,
                 std::uint64_t first, std::uint64_t length, bool head, std::string_view mode) {
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->base() = with_headers.base();
    header->keep_alive(keep_alive_);
    header->content_length(length);
    status_ = header->result_int();
    mode_ = mode;
    file_ = std::move(file);
    offset_ = static_cast<off_t>(first);
    remaining_ = head ? 0 : length;
    sent_ = 0;
    stream_.expires_after(options().send_timeout);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), header, serializer](beast::error_code ec, std::size_t) {
          self->stream_.expires_never();
          if (ec) return self->finish(ec, 0);
          self->send_body();
        });
  }

  void send_body() {
    if (closed_) return;
    if (remaining_ == 0) return finish({}, sent_);
    auto& socket = stream_.socket();
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    const std::size_t chunk =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, kSendChunk));
    const ssize_t n =
        sendfile_without_sigpipe(socket.native_handle(), file_.get(), &offset_, chunk);
    if (n > 0) {
      sent_ += static_cast<std::uint64_t>(n);
      remaining_ -= static_cast<std::uint64_t>(n);
      // Let the other connections have the strand between chunks.
      asio::post(state().strand, [self = shared_from_this()] { self->send_body(); });
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      send_timer_.expires_after(options().send_timeout);
      send_timer_.async_wait([self = shared_from_this()](boost::system::error_code timer_ec) {
        if (!timer_ec) self->finish(asio::error::timed_out, self->sent_);
      });
      socket.async_wait(tcp::socket::wait_write,
                        [self = shared_from_this()](boost::system::error_code wait_ec) {
                          self->send_timer_.cancel();
                          if (wait_ec) return self->finish(wait_ec, self->sent_);
                          self->send_body();
                        });
      return;
    }
    // n == 0: the file shrank under us; an error: the client is gone. The promised length
    // cannot be kept either way: close.
    finish(asio::error::broken_pipe, sent_);
  }

  void finish(beast::error_code ec, std::uint64_t body_bytes) {
    if (logged_) return;
    logged_ = true;
    file_.reset();
    bump(state().counters.responses);
    bump(state().counters.body_bytes, body_bytes);
    if (mode_ == kAccessModePeerDistV1 || mode_ == kAccessModePeerDistV2) {
      bump(state().counters.peerdist_responses);
    } else if (mode_ == kAccessModeMakeHashRequest) {
      bump(state().counters.make_hash_responses);
    }
    if (options().access_log) {
      PccrtpAccessLogEntry entry;
      entry.time = std::chrono::system_clock::now();
      entry.client = client_;
      entry.method = method_;
      entry.target = target_;
      entry.status = status_;
      entry.body_bytes = body_bytes;
      entry.mode = mode_;
      options().access_log(entry);
    }
    if (closed_) return;
    if (ec || !keep_alive_) return close();
    logged_ = false;
    read_header();
  }

  std::shared_ptr<State> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  asio::steady_timer send_timer_;
  std::uint64_t id_;
  std::string client_;
  // The request being answered, for the access log.
  std::string method_;
  std::string target_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  unsigned status_ = 0;
  std::string_view mode_ = kAccessModePlain;
  bool logged_ = false;
  // The file body being sent.
  ipc::UniqueFd file_;
  off_t offset_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t sent_ = 0;
  bool closed_ = false;
  // The request being forwarded, if any. Weak: the exchange's `done` holds this session, and
  // its pending operations hold the exchange; a strong pointer back would be a cycle that
  // outlives an io_context stopped before stop() ran.
  std::weak_ptr<PccrtpProxyExchange> exchange_;
};

// ---------------------------------------------------------------------------------------------

void PccrtpOrigin::State::accept(std::size_t which) {
  if (stopped) return;
  acceptors[which].async_accept(strand, [this, self = shared_from_this(), which](
                                            boost::system::error_code ec, tcp::socket socket) {
    if (stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
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
      const std::uint64_t id = next_session_id++;
      auto session = std::make_shared<Session>(self, std::move(socket), id);
      sessions.emplace(id, session);
      session->start();
    }
    accept(which);
  });
}

void PccrtpOrigin::State::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  for (auto& acceptor : acceptors) acceptor.close(ignored);
  retry_timer.cancel();
  auto open = sessions;
  for (auto& [id, weak] : open) {
    if (auto session = weak.lock()) session->close();
  }
  sessions.clear();
}

PccrtpOrigin::PccrtpOrigin(asio::any_io_executor executor, PccrtpOriginOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(options))) {}

PccrtpOrigin::~PccrtpOrigin() {
  stop();
}

Expected<void, std::string> PccrtpOrigin::listen() {
  if (!state_->options.upstream) {  // a proxy serves no directory
    const int root =
        ::open(state_->options.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_PATH);
    if (root < 0) {
      return Unexpected(state_->options.root.string() + ": " + std::strerror(errno));
    }
    state_->root.reset(root);
  }
  auto acceptors = listen_on(state_->strand, state_->options.endpoints);
  if (!acceptors) return Unexpected(acceptors.error());
  state_->acceptors = std::move(*acceptors);
  for (std::size_t n = 0; n < state_->acceptors.size(); ++n) state_->accept(n);
  return {};
}

std::vector<tcp::endpoint> PccrtpOrigin::local_endpoints() const {
  return local_endpoints_of(state_->acceptors);
}

void PccrtpOrigin::stop() {
  asio::dispatch(state_->strand, [state = state_] { state->stop(); });
}

PccrtpOriginCounters PccrtpOrigin::counters() const noexcept {
  const AtomicCounters& c = state_->counters;
  PccrtpOriginCounters out;
  out.connections = c.connections.load(std::memory_order_relaxed);
  out.refused_connections = c.refused_connections.load(std::memory_order_relaxed);
  out.responses = c.responses.load(std::memory_order_relaxed);
  out.peerdist_responses = c.peerdist_responses.load(std::memory_order_relaxed);
  out.make_hash_responses = c.make_hash_responses.load(std::memory_order_relaxed);
  out.body_bytes = c.body_bytes.load(std::memory_order_relaxed);
  const PccrtpProxyCounters& p = state_->proxy_counters;
  out.upstream_requests = p.upstream_requests.load(std::memory_order_relaxed);
  out.upstream_head_probes = p.head_probes.load(std::memory_order_relaxed);
  out.upstream_bytes = p.upstream_bytes.load(std::memory_order_relaxed);
  out.upstream_cache_hits = p.cache_hits.load(std::memory_order_relaxed);
  out.peak_relay_buffered = p.peak_buffered.load(std::memory_order_relaxed);
  return out;
}

}  // namespace peerdist::net
