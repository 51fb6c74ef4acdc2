// The reverse proxy (`peerdist serve --upstream URL`) end to end over loopback: a PccrtpOrigin
// without a hash cache is the upstream (a real origin with validators, never peerdist), a
// second PccrtpOrigin with `upstream` set is the proxy, asked with real HTTP requests. A
// scripted upstream (a thread answering canned bytes) plays the misbehaving ones.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "peerdist/net/pccrtp_hash_cache.hpp"
#include "peerdist/net/pccrtp_origin.hpp"
#include "peerdist/net/pccrtp_upstream.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"

#include "pccrtp_test_support.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace test_support;  // the shared fixtures of the origin's tests

constexpr std::size_t kLargeSize = 3 * 1024 * 1024 + 12345;  // above the inline hash limit
constexpr std::size_t kSmallSize = 1000;                     // under the peerdist minimum

// An upstream that answers every connection with the same canned bytes (then closes), or
// sends them and then nothing more without closing (`hang`: with "" an upstream that never
// answers), and records the requests it got.
class ScriptedUpstream {
 public:
  ScriptedUpstream(std::string response, bool hang = false)
      : response_(std::move(response)),
        hang_(hang),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this] { run(); }) {}
  ~ScriptedUpstream() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    // Wake the blocking accept with a connection of our own.
    beast::error_code ignored;
    asio::io_context io;
    tcp::socket poke(io);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    for (;;) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      if (ec) continue;
      asio::streambuf in;
      asio::read_until(socket, in, "\r\n\r\n", ec);
      {
        std::lock_guard lock(mutex_);
        requests_.emplace_back(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
      }
      asio::write(socket, asio::buffer(response_), ec);
      if (hang_) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_; });
        return;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::string response_;
  bool hang_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::string> requests_;
  std::thread thread_;
};

class PccrtpProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::make_unique<test::TempDir>();
    state_ = std::make_unique<test::TempDir>();
    large_ = test::random_content(kLargeSize, 8);
    small_ = test::random_content(kSmallSize, 9);
    (void)root_->write("large.bin", large_);
    (void)root_->write("small.txt", small_);
    std::filesystem::create_directory(root_->path() / "pub");
    (void)root_->write("pub/inner.bin", large_);
    start_upstream();
    start_proxy("http://127.0.0.1:" + std::to_string(upstream_port_));
  }

  void TearDown() override {
    stop_proxy();
    upstream_.stop();
  }

  void start_upstream() {
    PccrtpOriginOptions options;
    options.root = root_->path();
    auto result = upstream_.start(options);
    ASSERT_TRUE(result.has_value()) << result.error();
    upstream_port_ = upstream_.port();
  }

  void start_proxy(const std::string& url) {
    cache_ = open_test_cache(state_->path());
    ASSERT_TRUE(cache_);
    auto upstream = parse_upstream_url(url);
    ASSERT_TRUE(upstream.has_value()) << upstream.error();
    upstream->response_timeout = response_timeout_;
    PccrtpOriginOptions options;
    options.upstream = *upstream;
    options.cache = cache_.get();
    options.access_log = log_.callback();
    auto result = proxy_.start(options);
    ASSERT_TRUE(result.has_value()) << result.error();
    port_ = proxy_.port();
  }

  void stop_proxy() {
    proxy_.stop();
    cache_.reset();
  }

  Reply request(const std::string& target, const Headers& headers = {},
                http::verb method = http::verb::get, unsigned version = 11) {
    return request_at(port_, target, headers, method, version);
  }

  std::vector<std::string> log_lines(std::size_t count) { return log_.lines(count); }

  static Headers peerdist_v1_v2() {
    return {{"Accept-Encoding", "gzip, peerdist"},
            {"X-P2P-PeerDist", "Version=1.1"},
            {"X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=2.0"}};
  }
  static Headers peerdist_v1() {
    return {{"Accept-Encoding", "peerdist"}, {"X-P2P-PeerDist", "Version=1.0"}};
  }

  std::chrono::milliseconds response_timeout_ = PccrtpUpstream::kDefaultResponseTimeout;
  std::unique_ptr<test::TempDir> root_;
  std::unique_ptr<test::TempDir> state_;
  Bytes large_;
  Bytes small_;
  TestServer upstream_;
  std::uint16_t upstream_port_ = 0;
  std::unique_ptr<PccrtpHashCache> cache_;
  TestServer proxy_;
  std::uint16_t port_ = 0;
  test_support::AccessLogRecorder log_;
};

void expect_plain_relay(const Reply& via_proxy, const Reply& direct) {
  EXPECT_FALSE(via_proxy.ec) << via_proxy.ec.message();
  EXPECT_EQ(via_proxy.status, direct.status);
  EXPECT_EQ(via_proxy.body, direct.body);
  for (const char* name : {"etag", "last-modified", "content-type", "content-length",
                           "accept-ranges", "content-range"}) {
    EXPECT_EQ(via_proxy.header(name), direct.header(name)) << name;
  }
  EXPECT_EQ(via_proxy.header("content-encoding"), "<none>");
  EXPECT_EQ(via_proxy.header("via"), "1.1 peerdist");
}

TEST(PccrtpUpstreamUrl, ParsesHostPortAndPrefix) {
  auto plain = parse_upstream_url("http://example.org");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "example.org");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->url_for("/a?b"), "http://example.org/a?b");
  auto full = parse_upstream_url("HTTP://[::1]:8081/mirror/");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, 8081);
  EXPECT_EQ(full->target_for("/x.iso"), "/mirror/x.iso");
  EXPECT_EQ(full->host_field(), "[::1]:8081");
  for (const char* bad : {"https://example.org/", "ftp://x/", "http://", "http://h:0/",
                          "http://h:99999/", "http://u@h/", "http://h/p?q", "http://[::1/"}) {
    EXPECT_FALSE(parse_upstream_url(bad).has_value()) << bad;
  }
  const auto https = parse_upstream_url("https://example.org/");
  ASSERT_FALSE(https.has_value());
  EXPECT_NE(https.error().find("https"), std::string::npos);
}

TEST_F(PccrtpProxyTest, RelaysStatusHeadersValidatorsAndBody) {
  const auto direct = request_at(upstream_port_, "/large.bin");
  ASSERT_EQ(direct.status, 200U);
  const auto r = request("/large.bin");
  expect_plain_relay(r, direct);
  EXPECT_EQ(r.bytes(), large_);
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  expect_plain_relay(request("/small.txt"), request_at(upstream_port_, "/small.txt"));
  const auto lines = log_lines(2);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[0].find(" GET /large.bin 200 " + std::to_string(kLargeSize) + " plain"),
            std::string::npos)
      << lines[0];
}

TEST_F(PccrtpProxyTest, PrefixIsPrependedToTheTarget) {
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream_port_) + "/pub/");
  const auto r = request("/inner.bin");
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.bytes(), large_);
  EXPECT_EQ(request("/large.bin").status, 404U);
}

TEST_F(PccrtpProxyTest, StreamsABodyFarLargerThanItsBuffers) {
  constexpr std::size_t kHuge = std::size_t{64} << 20U;
  const Bytes huge = test::random_content(kHuge, 11);
  (void)root_->write("huge.bin", huge);
  const auto r = request("/huge.bin");
  ASSERT_EQ(r.status, 200U);
  ASSERT_EQ(r.body.size(), kHuge);
  EXPECT_EQ(std::memcmp(r.body.data(), huge.data(), kHuge), 0);
  const auto counters = proxy_.counters();
  // One piece and the upstream read buffer, never the body: under 1% of it here.
  EXPECT_GT(counters.peak_relay_buffered, 0U);
  EXPECT_LE(counters.peak_relay_buffered, kHuge / 100);
  EXPECT_GE(counters.upstream_bytes, kHuge);
}

TEST_F(PccrtpProxyTest, HeadNotFoundNotModifiedAndRangePassThrough) {
  const auto head = request("/large.bin", {}, http::verb::head);
  EXPECT_EQ(head.status, 200U);
  EXPECT_EQ(head.header("content-length"), std::to_string(kLargeSize));
  EXPECT_TRUE(head.body.empty());
  EXPECT_NE(head.header("etag"), "<none>");

  const auto missing = request("/nope.bin");
  EXPECT_EQ(missing.status, 404U);
  EXPECT_EQ(missing.body, request_at(upstream_port_, "/nope.bin").body);

  const auto etag = head.header("etag");
  const auto not_modified = request("/large.bin", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304U);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.header("etag"), etag);

  auto headers = peerdist_v1_v2();
  headers.emplace_back("Range", "bytes=100-199");
  const auto range = request("/large.bin", headers);
  EXPECT_EQ(range.status, 206U);
  EXPECT_EQ(range.header("content-range"), "bytes 100-199/" + std::to_string(kLargeSize));
  EXPECT_EQ(range.header("content-encoding"), "<none>");
  EXPECT_EQ(range.header("x-p2p-peerdistex"), "<none>");
  EXPECT_EQ(range.bytes(), Bytes(large_.begin() + 100, large_.begin() + 200));

  // Another method is refused as the origin refuses it, without asking the upstream.
  const auto before = proxy_.counters().upstream_requests;
  EXPECT_EQ(request("/large.bin", {}, http::verb::post).status, 405U);
  EXPECT_EQ(proxy_.counters().upstream_requests, before);
}

TEST_F(PccrtpProxyTest, RedirectPassesThroughUnchanged) {
  ScriptedUpstream upstream(
      "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/x\r\nContent-Length: 0\r\n\r\n");
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  const auto r = request("/x");
  EXPECT_EQ(r.status, 302U);
  EXPECT_EQ(r.header("location"), "http://elsewhere.example/x");
}

TEST_F(PccrtpProxyTest, HopByHopFieldsAreDroppedBothWays) {
  ScriptedUpstream upstream(
      "HTTP/1.1 200 OK\r\nConnection: close, X-Up-Hop\r\nX-Up-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
      "Proxy-Authenticate: Basic\r\nTrailer: X-T\r\nX-End: kept\r\nContent-Length: 5\r\n\r\nhello");
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()) + "/base");
  const auto r = request("/q?x=1", {{"Connection", "keep-alive, X-Client-Hop"},
                                    {"X-Client-Hop", "1"},
                                    {"Keep-Alive", "timeout=5"},
                                    {"TE", "trailers"},
                                    {"Proxy-Authorization", "Basic eA=="},
                                    {"X-End-To-End", "kept"},
                                    {"Accept-Encoding", "gzip, peerdist;q=1"},
                                    {"X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true"},
                                    {"X-P2P-PeerDistEx", "MinContentInformation=1.0"},
                                    {"X-Forwarded-For", "10.0.0.1"}});
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-end"), "kept");
  for (const char* gone : {"x-up-hop", "keep-alive", "proxy-authenticate", "trailer"}) {
    EXPECT_EQ(r.header(gone), "<none>") << gone;
  }
  EXPECT_EQ(r.header("connection"), "<none>");  // HTTP/1.1 keep-alive is the default

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1U);
  std::string text = requests[0];
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(text.starts_with("get /base/q?x=1 http/1.1\r\n")) << text;
  EXPECT_NE(text.find("host: 127.0.0.1:" + std::to_string(upstream.port()) + "\r\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("x-end-to-end: kept\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("accept-encoding: gzip\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("via: 1.1 peerdist\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x-forwarded-for: 10.0.0.1, 127.0.0.1\r\n"), std::string::npos) << text;
  for (const char* gone : {"x-client-hop", "keep-alive", "\r\nte:", "proxy-authorization",
                           "x-p2p-peerdist", "peerdist;"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " in " << text;
  }
}

TEST_F(PccrtpProxyTest, ChunkedUpstreamBodyIsRelayedChunked) {
  ScriptedUpstream upstream(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
      "world\r\n0\r\n\r\n");
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  const auto r = request("/c");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  // An HTTP/1.0 client gets the body delimited by the end of the connection.
  const auto old = request("/c", {}, http::verb::get, 10);
  EXPECT_EQ(old.body, "hello world");
  EXPECT_EQ(old.header("transfer-encoding"), "<none>");
}

TEST_F(PccrtpProxyTest, UnreachableUpstreamIs502) {
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(closed_port));
  const auto r = request("/large.bin", peerdist_v1_v2());
  EXPECT_EQ(r.status, 502U);
  // The connection stays usable: the next request gets its answer too.
  EXPECT_EQ(request("/x").status, 502U);
}

TEST_F(PccrtpProxyTest, SilentUpstreamIs504) {
  ScriptedUpstream upstream("", /*hang=*/true);
  response_timeout_ = std::chrono::milliseconds(300);
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  EXPECT_EQ(request("/x").status, 504U);
}

TEST_F(PccrtpProxyTest, UpstreamBodyThatStallsCutsTheClient) {
  ScriptedUpstream upstream(
      "HTTP/1.1 200 OK\r\nETag: \"s\"\r\nContent-Length: 200000\r\n\r\n" + std::string(1000, 'z'),
      /*hang=*/true);
  response_timeout_ = std::chrono::milliseconds(300);
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  const auto r = request("/stall", peerdist_v1_v2());
  EXPECT_EQ(r.status, 200U);  // the header had gone out
  EXPECT_TRUE(r.ec);
  EXPECT_EQ(r.body.size(), 1000U);
  (void)log_lines(1);
  EXPECT_EQ(cache_->counters().stored, 0U);
}

TEST_F(PccrtpProxyTest, FirstPeerDistRequestIsPlainAndHashedThenPeerDist) {
  const auto first = request("/large.bin", peerdist_v1_v2());
  ASSERT_EQ(first.status, 200U);
  EXPECT_EQ(first.header("content-encoding"), "<none>");
  EXPECT_EQ(first.header("x-p2p-peerdistex"), "MakeHashRequest=true");
  EXPECT_EQ(first.header("x-p2p-peerdist"), "Version=1.1");
  EXPECT_EQ(first.bytes(), large_);
  (void)log_lines(1);  // the CI is stored before the response is logged
  EXPECT_EQ(cache_->counters().stored, 1U);

  const auto before = proxy_.counters();
  const auto upstream_before = upstream_.counters();
  const auto second = request("/large.bin", peerdist_v1_v2());
  ASSERT_EQ(second.status, 200U);
  EXPECT_EQ(second.header("content-encoding"), "peerdist");
  EXPECT_EQ(second.header("x-p2p-peerdist"),
            "Version=1.1, ContentLength=" + std::to_string(kLargeSize));
  EXPECT_EQ(second.header("content-length"), std::to_string(second.body.size()));
  EXPECT_EQ(second.header("etag"), first.header("etag"));
  EXPECT_EQ(second.header("last-modified"), first.header("last-modified"));
  EXPECT_EQ(second.header("vary"), "Accept-Encoding");
  EXPECT_EQ(second.bytes(), expected_ci(large_, pccrc::Version::v2));

  // What the hit cost the upstream: one HEAD, no body byte.
  (void)log_lines(2);
  const auto after = proxy_.counters();
  const auto upstream_after = upstream_.counters();
  EXPECT_EQ(after.upstream_head_probes - before.upstream_head_probes, 1U);
  EXPECT_EQ(after.upstream_requests - before.upstream_requests, 1U);
  EXPECT_EQ(after.upstream_cache_hits - before.upstream_cache_hits, 1U);
  EXPECT_EQ(upstream_after.body_bytes, upstream_before.body_bytes);
  EXPECT_LT(after.upstream_bytes - before.upstream_bytes, 1024U);
  std::cout << "[ measured ] upstream bytes for a cache hit: "
            << after.upstream_bytes - before.upstream_bytes << " (header of a HEAD)\n";

  // A V1 client has no V1 CI yet: plain + MakeHashRequest, then V1.
  EXPECT_EQ(request("/large.bin", peerdist_v1()).header("x-p2p-peerdistex"),
            "MakeHashRequest=true");
  (void)log_lines(3);
  const auto v1 = request("/large.bin", peerdist_v1());
  EXPECT_EQ(v1.header("x-p2p-peerdist"),
            "Version=1.0, ContentLength=" + std::to_string(kLargeSize));
  EXPECT_EQ(v1.bytes(), expected_ci(large_, pccrc::Version::v1));

  const auto lines = log_lines(4);
  ASSERT_GE(lines.size(), 4U);
  EXPECT_NE(lines[0].find(" plain+MakeHashRequest"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" 200 " + std::to_string(second.body.size()) + " peerdist-v2"),
            std::string::npos)
      << lines[1];
  EXPECT_EQ(proxy_.counters().peerdist_responses, 2U);
}

TEST_F(PccrtpProxyTest, SmallOrUnvalidatedContentIsNeverPeerDist) {
  const auto small = request("/small.txt", peerdist_v1_v2());
  EXPECT_EQ(small.bytes(), small_);
  EXPECT_EQ(small.header("x-p2p-peerdistex"), "<none>");
  ScriptedUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" +
                            std::string(70000, 'x'));
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  const auto r = request("/nv", peerdist_v1_v2());
  EXPECT_EQ(r.body.size(), 70000U);
  EXPECT_EQ(r.header("x-p2p-peerdistex"), "<none>");
  // The upstream was asked for the identity coding.
  ASSERT_EQ(upstream.requests().size(), 1U);
  EXPECT_NE(upstream.requests()[0].find("Accept-Encoding: identity\r\n"), std::string::npos)
      << upstream.requests()[0];
  EXPECT_EQ(cache_->counters().stored, 0U);
}

TEST_F(PccrtpProxyTest, ChangedUpstreamContentGetsANewCi) {
  (void)request("/large.bin", peerdist_v1_v2());
  (void)log_lines(1);
  const auto old_ci = request("/large.bin", peerdist_v1_v2());
  ASSERT_EQ(old_ci.header("content-encoding"), "peerdist");

  const Bytes changed = test::random_content(kLargeSize, 99);
  std::filesystem::remove(root_->path() / "large.bin");  // a new inode: a new ETag
  (void)root_->write("large.bin", changed);
  const auto plain = request("/large.bin", peerdist_v1_v2());
  EXPECT_EQ(plain.header("x-p2p-peerdistex"), "MakeHashRequest=true");
  EXPECT_EQ(plain.bytes(), changed);
  EXPECT_NE(plain.header("etag"), old_ci.header("etag"));
  (void)log_lines(3);
  const auto fresh = request("/large.bin", peerdist_v1_v2());
  ASSERT_EQ(fresh.header("content-encoding"), "peerdist");
  EXPECT_EQ(fresh.bytes(), expected_ci(changed, pccrc::Version::v2));
  EXPECT_EQ(fresh.header("etag"), plain.header("etag"));
}

TEST_F(PccrtpProxyTest, RestartReusesTheStoredCi) {
  (void)request("/large.bin", peerdist_v1_v2());
  (void)log_lines(1);
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream_port_));
  const auto r = request("/large.bin", peerdist_v1_v2());
  ASSERT_EQ(r.header("content-encoding"), "peerdist");
  EXPECT_EQ(r.bytes(), expected_ci(large_, pccrc::Version::v2));
}

TEST_F(PccrtpProxyTest, CutUpstreamBodyStoresNoCi) {
  ScriptedUpstream upstream("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: 200000\r\n\r\n" +
                            std::string(100000, 'y'));
  stop_proxy();
  start_proxy("http://127.0.0.1:" + std::to_string(upstream.port()));
  const auto first = request("/cut", peerdist_v1_v2());
  EXPECT_EQ(first.header("x-p2p-peerdistex"), "MakeHashRequest=true");
  EXPECT_TRUE(first.ec);  // the client sees the cut too
  EXPECT_LT(first.body.size(), 200000U);
  (void)log_lines(1);
  EXPECT_EQ(cache_->counters().stored, 0U);
  const auto second = request("/cut", peerdist_v1_v2());
  EXPECT_EQ(second.header("content-encoding"), "<none>");
  EXPECT_EQ(second.header("x-p2p-peerdistex"), "MakeHashRequest=true");
}

TEST_F(PccrtpProxyTest, AClientThatStopsReadingStopsTheUpstream) {
  constexpr std::size_t kHuge = std::size_t{64} << 20U;
  (void)root_->write("huge.bin", test::random_content(kHuge, 12));
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  // A small receive window, and then no reading at all.
  socket.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  const std::string get = "GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(get));
  // Wait until the proxy stops reading from the upstream (its count holds still), or give up.
  std::uint64_t last = 0;
  int still = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (still < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = proxy_.counters().upstream_bytes;
    still = now == last && now > 0 ? still + 1 : 0;
    last = now;
  }
  // Socket buffers on three connections hold a few MiB at most; the rest waits upstream.
  EXPECT_GT(last, 0U);
  EXPECT_LT(last, kHuge / 2);
  std::cout << "[ measured ] read from the upstream while the client does not read: " << last
            << " of " << kHuge << " bytes\n";
}

TEST_F(PccrtpProxyTest, KeepAliveCarriesSeveralRequestsThroughTheProxy) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  beast::flat_buffer buffer;
  const auto ask = [&](const Headers& headers) {
    http::request<http::empty_body> req(http::verb::get, "/large.bin", 11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    http::write(socket, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(socket, buffer, parser);
    return parser.release();
  };
  const auto plain = ask({});
  EXPECT_EQ(plain.body().size(), kLargeSize);
  const auto first = ask(peerdist_v1_v2());
  EXPECT_EQ(first[http::field::content_encoding], "");
  EXPECT_EQ(first.body().size(), kLargeSize);
  (void)log_lines(2);
  const auto second = ask(peerdist_v1_v2());
  EXPECT_EQ(second[http::field::content_encoding], "peerdist");
  const std::string expected_body = [&] {
    const auto ci = expected_ci(large_, pccrc::Version::v2);
    return std::string(ci.begin(), ci.end());
  }();
  EXPECT_EQ(second.body(), expected_body);
  EXPECT_EQ(proxy_.counters().connections, 1U);
}

}  // namespace
}  // namespace peerdist::net
