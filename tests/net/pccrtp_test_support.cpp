#include "pccrtp_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <chrono>
#include <future>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"

namespace peerdist::net::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
// How long a test waits for a log line: far beyond any response's time on a loaded machine.
constexpr std::chrono::seconds kLogDeadline{20};
constexpr std::chrono::milliseconds kLogPoll{5};
// Larger than any body a test sends (the proxy's streaming test: 64 MiB).
constexpr std::uint64_t kMaxTestBody = std::uint64_t{256} << 20U;
}  // namespace

Bytes secret_bytes() {
  return Bytes(32, 0x5A);
}

Bytes expected_ci(const Bytes& content, pccrc::Version version) {
  pccrc::ContentInformationBuilder builder(
      pccrc::ServerSecret(secret_bytes()),
      pccrc::BuildOptions{
          version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{}, 1, {}});
  builder.add(content);
  auto ci = builder.finish();
  EXPECT_TRUE(ci.has_value());
  return ci ? pccrc::encode(*ci) : Bytes{};
}

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string("<none>") : it->second;
}

Reply request_at(std::uint16_t port, const std::string& target, const Headers& headers,
                 http::verb method, unsigned version) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(method, target, version);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxTestBody);
  if (method == http::verb::head) parser.skip(true);
  Reply reply;
  http::read(socket, buffer, parser, reply.ec);
  reply.status = parser.get().result_int();
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(f.value());
  }
  reply.body = std::move(parser.get().body());
  return reply;
}

std::unique_ptr<PccrtpHashCache> open_test_cache(const std::filesystem::path& state_dir) {
  PccrtpHashCacheOptions options;
  options.database = state_dir / "hash-cache.sqlite";
  options.secret = pccrc::ServerSecret(secret_bytes());
  options.threads = 1;
  auto cache = PccrtpHashCache::open(std::move(options));
  EXPECT_TRUE(cache.has_value()) << cache.error();
  return cache ? std::move(*cache) : nullptr;
}

tcp::endpoint loopback_any_port() {
  return {asio::ip::make_address("127.0.0.1"), 0};
}

Expected<void, std::string> listen_on_thread(PccrtpOrigin& origin,
                                             const asio::any_io_executor& executor) {
  std::promise<Expected<void, std::string>> listened;
  auto future = listened.get_future();
  asio::post(executor, [&] { listened.set_value(origin.listen()); });
  return future.get();
}

std::function<void(const PccrtpAccessLogEntry&)> AccessLogRecorder::callback() {
  return [this](const PccrtpAccessLogEntry& entry) {
    std::lock_guard lock(mutex_);
    lines_.push_back(format_access_log_line(entry));
  };
}

std::vector<std::string> AccessLogRecorder::lines(std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + kLogDeadline;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (lines_.size() >= count || std::chrono::steady_clock::now() > deadline) return lines_;
    }
    std::this_thread::sleep_for(kLogPoll);
  }
}

Expected<void, std::string> TestServer::start(PccrtpOriginOptions options) {
  stop();
  options.endpoints = {loopback_any_port()};
  io_ = std::make_unique<IoThread>();
  origin_ = std::make_unique<PccrtpOrigin>(io_->executor(), std::move(options));
  auto listening = listen_on_thread(*origin_, io_->executor());
  if (!listening) return listening;
  port_ = origin_->local_endpoints().at(0).port();
  return {};
}

void TestServer::stop() {
  if (origin_) origin_->stop();
  if (io_) io_->stop();
  origin_.reset();
  io_.reset();
}

}  // namespace peerdist::net::test_support
