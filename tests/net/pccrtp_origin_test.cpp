// The PeerDist origin end to end: an in-process server on 127.0.0.1 (port 0) over a temporary
// directory, asked with real HTTP requests (a Beast client), every negotiation case of the spec
// digest, ranges, conditional requests, refusals, and the hash cache across a restart.
#include "peerdist/net/pccrtp_origin.hpp"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "peerdist/net/pccrtp_files.hpp"
#include "peerdist/net/pccrtp_hash_cache.hpp"
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

// Above kMinimumPeerDistSize (64 KiB), under the inline hash limit (1 MiB): 3 V1 blocks.
constexpr std::size_t kMediumSize = 184946;  // the spec example's file size
constexpr std::size_t kSmallSize = 1000;     // under the peerdist minimum

class PccrtpOriginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::make_unique<test::TempDir>();
    state_ = std::make_unique<test::TempDir>();
    medium_ = test::random_content(kMediumSize, 7);
    large_ = test::random_content(3 * 1024 * 1024 + 12345, 8);
    small_ = test::random_content(kSmallSize, 9);
    (void)root_->write("medium.bin", medium_);
    (void)root_->write("large.bin", large_);
    (void)root_->write("small.txt", small_);
    std::filesystem::create_directory(root_->path() / "sub");
    (void)root_->write("sub/inner.bin", medium_);
    start();
  }

  void TearDown() override { shutdown(); }

  void start() {
    cache_ = open_test_cache(state_->path());
    ASSERT_TRUE(cache_);
    PccrtpOriginOptions options;
    options.root = root_->path();
    options.cache = cache_.get();
    options.inline_hash_limit = inline_hash_limit_;
    options.idle_timeout = idle_timeout_;
    options.max_header_size = 4096;
    options.access_log = log_.callback();
    auto result = server_.start(options);
    ASSERT_TRUE(result.has_value()) << result.error();
    port_ = server_.port();
  }

  void shutdown() {
    server_.stop();
    cache_.reset();
  }

  void restart() {
    shutdown();
    start();
  }

  Reply request(const std::string& target, const Headers& headers = {},
                http::verb method = http::verb::get, unsigned version = 11) {
    Reply reply = test_support::request_at(port_, target, headers, method, version);
    EXPECT_FALSE(reply.ec) << reply.ec.message();
    return reply;
  }

  // The raw text the server sends back for raw request bytes (or until it closes).
  std::string raw(const std::string& bytes) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    asio::write(socket, asio::buffer(bytes));
    std::string out;
    char buf[4096];
    beast::error_code ec;
    for (;;) {
      const std::size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  std::vector<std::string> log_lines(std::size_t count) { return log_.lines(count); }

  static Headers peerdist_v1() {
    return {{"Accept-Encoding", "gzip, deflate, peerdist"}, {"X-P2P-PeerDist", "Version=1.0"}};
  }
  static Headers peerdist_v1_v2() {
    return {{"Accept-Encoding", "peerdist"},
            {"X-P2P-PeerDist", "Version=1.1"},
            {"X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=2.0"}};
  }

  std::uint64_t inline_hash_limit_ = PccrtpOriginOptions::kDefaultInlineHashLimit;
  std::chrono::milliseconds idle_timeout_ = PccrtpOriginOptions::kDefaultIdleTimeout;
  std::unique_ptr<test::TempDir> root_;
  std::unique_ptr<test::TempDir> state_;
  Bytes medium_;
  Bytes large_;
  Bytes small_;
  std::unique_ptr<PccrtpHashCache> cache_;
  TestServer server_;
  std::uint16_t port_ = 0;
  test_support::AccessLogRecorder log_;
};

void expect_plain_whole(const Reply& r, const Bytes& content) {
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.header("content-encoding"), "<none>");
  EXPECT_EQ(r.bytes(), content);
  EXPECT_NE(r.header("etag"), "<none>");
  EXPECT_NE(r.header("last-modified"), "<none>");
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
}

void expect_peerdist(const Reply& r, const Bytes& content, pccrc::Version version,
                     const std::string& response_version) {
  ASSERT_EQ(r.status, 200U);
  EXPECT_EQ(r.header("content-encoding"), "peerdist");
  EXPECT_EQ(r.header("x-p2p-peerdist"),
            "Version=" + response_version + ", ContentLength=" + std::to_string(content.size()));
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_NE(r.header("etag"), "<none>");
  EXPECT_NE(r.header("last-modified"), "<none>");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.bytes(), expected_ci(content, version));
  const auto parsed = pccrc::parse(r.bytes());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->version(), version);
  EXPECT_EQ(parsed->range.end, content.size());
}

TEST_F(PccrtpOriginTest, PlainGetWithValidators) {
  expect_plain_whole(request("/small.txt"), small_);
  expect_plain_whole(request("/large.bin"), large_);
  expect_plain_whole(request("/sub/inner.bin"), medium_);
  EXPECT_EQ(request("/small.txt").header("content-type"), "text/plain");
}

TEST_F(PccrtpOriginTest, SpecExampleV11MaxV1GetsCiV1WithVersion11) {
  // §8: a 184,946-byte file answered with a 198-byte V1 CI.
  const auto r =
      request("/medium.bin",
              {{"Accept-Encoding", "gzip, deflate, peerdist"},
               {"X-P2P-PeerDist", "Version=1.1"},
               {"X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=1.0"}});
  expect_peerdist(r, medium_, pccrc::Version::v1, "1.1");
  EXPECT_EQ(r.body.size(), 198U);
}

TEST_F(PccrtpOriginTest, Version10GetsV1AndVersion10) {
  expect_peerdist(request("/medium.bin", peerdist_v1()), medium_, pccrc::Version::v1, "1.0");
}

TEST_F(PccrtpOriginTest, MaxV2GetsV2) {
  expect_peerdist(request("/medium.bin", peerdist_v1_v2()), medium_, pccrc::Version::v2, "1.1");
  expect_peerdist(
      request("/medium.bin",
              {{"Accept-Encoding", "peerdist"},
               {"X-P2P-PeerDist", "Version=1.1"},
               {"X-P2P-PeerDistEx", "MinContentInformation=2.0, MaxContentInformation=2.0"}}),
      medium_, pccrc::Version::v2, "1.1");
}

TEST_F(PccrtpOriginTest, NegotiationCasesThatGetPlainContent) {
  const std::vector<Headers> cases = {
      {{"Accept-Encoding", "peerdist"}, {"X-P2P-PeerDist", "Version=999.999"}},
      {{"Accept-Encoding", "peerdist"},
       {"X-P2P-PeerDist", "Version=1.1"},
       {"X-P2P-PeerDistEx", "MinContentInformation=900.0, MaxContentInformation=999.0"}},
      {{"Accept-Encoding", "peerdist"}, {"X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true"}},
      {{"Accept-Encoding", "peerdist"},
       {"X-P2P-PeerDist", "Version=1.1, MissingDataRequest=InvalidValue"}},
      {{"Accept-Encoding", "gzip, deflate"}, {"X-P2P-PeerDist", "Version=1.1"}},
      {{"X-P2P-PeerDist", "Version=1.1"}},
      {{"Accept-Encoding", "peerdist"}},
  };
  for (const auto& headers : cases) {
    const auto r = request("/medium.bin", headers);
    expect_plain_whole(r, medium_);
    EXPECT_EQ(r.header("x-p2p-peerdist"), "<none>");
  }
  // Below the peerdist minimum size.
  expect_plain_whole(request("/small.txt", peerdist_v1()), small_);
  EXPECT_EQ(cache_->counters().computed, 0U);
}

TEST_F(PccrtpOriginTest, MissingDataRequestFalseStillGetsPeerDist) {
  expect_peerdist(
      request("/medium.bin", {{"Accept-Encoding", "peerdist"},
                              {"X-P2P-PeerDist", "Version=1.1, MissingDataRequest=false"}}),
      medium_, pccrc::Version::v1, "1.1");
}

TEST_F(PccrtpOriginTest, RangeRequestsGetPlainPartialContent) {
  auto headers = peerdist_v1_v2();
  headers.emplace_back("Range", "bytes=100-199");
  const auto r = request("/medium.bin", headers);
  EXPECT_EQ(r.status, 206U);
  EXPECT_EQ(r.header("content-encoding"), "<none>");
  EXPECT_EQ(r.header("content-range"), "bytes 100-199/" + std::to_string(kMediumSize));
  EXPECT_EQ(r.bytes(), Bytes(medium_.begin() + 100, medium_.begin() + 200));
  // iPXE's missing-data request: ranged, no peerdist in Accept-Encoding.
  const auto missing =
      request("/large.bin", {{"X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true"},
                             {"Range", "bytes=65536-131071"}});
  EXPECT_EQ(missing.status, 206U);
  EXPECT_EQ(missing.bytes(), Bytes(large_.begin() + 65536, large_.begin() + 131072));
}

TEST_F(PccrtpOriginTest, RangeForms) {
  const auto suffix = request("/small.txt", {{"Range", "bytes=-10"}});
  EXPECT_EQ(suffix.status, 206U);
  EXPECT_EQ(suffix.bytes(), Bytes(small_.end() - 10, small_.end()));
  const auto open = request("/small.txt", {{"Range", "bytes=990-"}});
  EXPECT_EQ(open.status, 206U);
  EXPECT_EQ(open.bytes(), Bytes(small_.begin() + 990, small_.end()));
  const auto clamped = request("/small.txt", {{"Range", "bytes=995-5000"}});
  EXPECT_EQ(clamped.header("content-range"), "bytes 995-999/1000");
  const auto beyond = request("/small.txt", {{"Range", "bytes=1000-"}});
  EXPECT_EQ(beyond.status, 416U);
  EXPECT_EQ(beyond.header("content-range"), "bytes */1000");
  // Several ranges: ignored, the whole entity.
  expect_plain_whole(request("/small.txt", {{"Range", "bytes=0-1,5-6"}}), small_);
  // If-Range that does not match: the whole entity.
  expect_plain_whole(request("/small.txt", {{"Range", "bytes=0-1"}, {"If-Range", "\"other\""}}),
                     small_);
  const auto etag = request("/small.txt").header("etag");
  EXPECT_EQ(request("/small.txt", {{"Range", "bytes=0-1"}, {"If-Range", etag}}).status, 206U);
}

TEST_F(PccrtpOriginTest, HeadHttp10AndOtherMethods) {
  const auto head = request("/medium.bin", peerdist_v1(), http::verb::head);
  EXPECT_EQ(head.status, 200U);
  EXPECT_EQ(head.header("content-length"), std::to_string(kMediumSize));
  EXPECT_EQ(head.header("content-encoding"), "<none>");
  EXPECT_TRUE(head.body.empty());
  expect_peerdist(request("/medium.bin", peerdist_v1(), http::verb::get, 10), medium_,
                  pccrc::Version::v1, "1.0");
  const auto post = request("/medium.bin", peerdist_v1(), http::verb::post);
  EXPECT_EQ(post.status, 405U);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
  EXPECT_EQ(request("/medium.bin", {}, http::verb::delete_).status, 405U);
}

TEST_F(PccrtpOriginTest, ConditionalRequests) {
  const auto first = request("/medium.bin");
  const std::string etag = first.header("etag");
  const std::string date = first.header("last-modified");
  const auto by_etag = request("/medium.bin", {{"If-None-Match", etag}});
  EXPECT_EQ(by_etag.status, 304U);
  EXPECT_TRUE(by_etag.body.empty());
  EXPECT_EQ(by_etag.header("etag"), etag);
  EXPECT_EQ(request("/medium.bin", {{"If-None-Match", "\"x\", W/" + etag}}).status, 304U);
  EXPECT_EQ(request("/medium.bin", {{"If-None-Match", "\"other\""}}).status, 200U);
  EXPECT_EQ(request("/medium.bin", {{"If-Modified-Since", date}}).status, 304U);
  EXPECT_EQ(request("/medium.bin", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status,
            200U);
  // If-None-Match wins over If-Modified-Since.
  EXPECT_EQ(
      request("/medium.bin", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", date}}).status,
      200U);
}

TEST_F(PccrtpOriginTest, TraversalAndEscapesAreRefused) {
  std::filesystem::create_symlink("/etc/passwd", root_->path() / "outside-abs");
  std::filesystem::create_symlink("../../../../../../etc/passwd", root_->path() / "outside-rel");
  std::filesystem::create_symlink("medium.bin", root_->path() / "inside-link");
  ASSERT_EQ(::mkfifo((root_->path() / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(request("/../etc/passwd").status, 400U);
  EXPECT_EQ(request("/sub/../../etc/passwd").status, 400U);
  EXPECT_EQ(request("/%2e%2e/etc/passwd").status, 400U);
  EXPECT_EQ(request("/%2E%2E%2Fetc%2Fpasswd").status, 400U);
  EXPECT_EQ(request("/sub%2Finner.bin").status, 400U);
  EXPECT_EQ(request("/medium.bin%00.txt").status, 400U);
  EXPECT_EQ(request("/sub\\..\\medium.bin").status, 400U);
  EXPECT_EQ(request("/bad%zz").status, 400U);
  EXPECT_EQ(request("/outside-abs").status, 404U);
  EXPECT_EQ(request("/outside-rel").status, 404U);
  EXPECT_EQ(request("/fifo").status, 404U);
  EXPECT_EQ(request("/sub").status, 404U);
  EXPECT_EQ(request("/").status, 404U);
  EXPECT_EQ(request("/nonexistent").status, 404U);
  expect_plain_whole(request("/inside-link"), medium_);
  expect_plain_whole(request("//sub//inner.bin?x=1"), medium_);
  expect_plain_whole(request("/sub/%69nner.bin"), medium_);
}

TEST_F(PccrtpOriginTest, OversizedHeaderIsRefused) {
  const std::string reply =
      raw("GET /small.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply.substr(0, 40);
}

TEST_F(PccrtpOriginTest, SlowClientIsDisconnected) {
  shutdown();
  idle_timeout_ = std::chrono::milliseconds(200);
  start();
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  asio::write(socket, asio::buffer(std::string("GET /small.txt HTTP/1.1\r\n")));
  char buf[16];
  beast::error_code ec;
  // The server closes the connection: read ends (eof) instead of blocking forever.
  (void)socket.read_some(asio::buffer(buf), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(PccrtpOriginTest, AClientLeavingMidBodyDoesNotKillTheServer) {
  // Far more than the socket buffers hold, so that sendfile(2) meets the closed connection:
  // SIGPIPE would end this test program (nothing here ignores it).
  constexpr std::size_t kBig = std::size_t{32} << 20U;
  // Whether a send meets the reset depends on timing (about one round in three on loopback
  // raised SIGPIPE before the fix): ten rounds make a miss unlikely.
  constexpr int kRounds = 10;
  (void)root_->write("big.bin", test::random_content(kBig, 21));
  for (int round = 0; round < kRounds; ++round) {
    asio::io_context io;
    tcp::socket socket(io, tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    const std::string get = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(socket, asio::buffer(get));
    char some[4096];
    (void)socket.read_some(asio::buffer(some));
    // Unread data at close: a reset, and the server's next sendfile gets EPIPE.
    socket.close();
  }
  const auto lines = log_lines(kRounds);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kRounds));
  for (const auto& line : lines) {
    EXPECT_NE(line.find(" GET /big.bin 200 "), std::string::npos) << line;
    EXPECT_EQ(line.find(" 200 " + std::to_string(kBig) + " "), std::string::npos) << line;
  }
  EXPECT_EQ(request("/small.txt").bytes(), small_);
}

TEST_F(PccrtpOriginTest, KeepAliveServesSeveralRequests) {
  const std::string two =
      "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n";
  const std::string reply = raw(two);
  std::size_t count = 0;
  for (auto at = reply.find("HTTP/1.1 200"); at != std::string::npos;
       at = reply.find("HTTP/1.1 200", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2U);
}

TEST_F(PccrtpOriginTest, LargeFileGetsMakeHashRequestThenPeerDist) {
  auto headers = peerdist_v1_v2();
  const auto first = request("/large.bin", headers);
  expect_plain_whole(first, large_);
  EXPECT_EQ(first.header("x-p2p-peerdistex"), "MakeHashRequest=true");
  EXPECT_EQ(first.header("x-p2p-peerdist"), "Version=1.1");
  cache_->wait_idle();
  headers.back().second += ", HashRequest=true";
  expect_peerdist(request("/large.bin", headers), large_, pccrc::Version::v2, "1.1");
  const auto lines = log_lines(2);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_TRUE(lines[0].ends_with(" 127.0.0.1 GET /large.bin 200 " + std::to_string(large_.size()) +
                                 " plain+MakeHashRequest"))
      << lines[0];
  EXPECT_TRUE(lines[1].ends_with(" peerdist-v2")) << lines[1];
}

TEST_F(PccrtpOriginTest, CacheIsReusedAcrossRestartAndRecomputedAfterChange) {
  shutdown();
  inline_hash_limit_ = 0;  // every CI from the background worker: a miss shows as MakeHashRequest
  start();
  EXPECT_EQ(request("/medium.bin", peerdist_v1()).header("x-p2p-peerdistex"),
            "MakeHashRequest=true");
  cache_->wait_idle();
  expect_peerdist(request("/medium.bin", peerdist_v1()), medium_, pccrc::Version::v1, "1.0");
  EXPECT_EQ(cache_->counters().computed, 1U);

  restart();
  expect_peerdist(request("/medium.bin", peerdist_v1()), medium_, pccrc::Version::v1, "1.0");
  EXPECT_EQ(cache_->counters().computed, 0U);
  EXPECT_EQ(cache_->counters().hits, 1U);

  // New content (and a new mtime): never the old CI.
  const Bytes changed = test::random_content(kMediumSize + 100, 99);
  (void)root_->write("medium.bin", changed);
  const struct timeval times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimes(root_->file("medium.bin").c_str(), times), 0);
  const auto stale = request("/medium.bin", peerdist_v1());
  expect_plain_whole(stale, changed);
  EXPECT_EQ(stale.header("x-p2p-peerdistex"), "MakeHashRequest=true");
  cache_->wait_idle();
  expect_peerdist(request("/medium.bin", peerdist_v1()), changed, pccrc::Version::v1, "1.0");
}

TEST_F(PccrtpOriginTest, AnotherSecretDropsTheCache) {
  (void)request("/medium.bin", peerdist_v1());  // hashed inline
  EXPECT_EQ(cache_->counters().computed, 1U);
  shutdown();
  PccrtpHashCacheOptions options;
  options.database = state_->path() / "hash-cache.sqlite";
  options.secret = pccrc::ServerSecret(Bytes(32, 0x01));
  auto other = PccrtpHashCache::open(std::move(options));
  ASSERT_TRUE(other.has_value()) << other.error();
  const auto identity = [&] {
    const int fd = ::open(root_->file("medium.bin").c_str(), O_RDONLY);
    auto id = identity_of(fd);
    ::close(fd);
    return *id;
  }();
  EXPECT_FALSE((*other)->find(identity, pccrc::Version::v1).has_value());
  other->reset();
  start();
  (void)request("/medium.bin", peerdist_v1());
  EXPECT_EQ(cache_->counters().computed, 1U);  // hashed again: the rows were dropped
}

TEST_F(PccrtpOriginTest, HashOfAFileThatChangedIsNotStored) {
  const int fd = ::open(root_->file("medium.bin").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const FileIdentity now = identity_of(fd).value();
  // What the server saw before a write: another mtime. The hash must not be stored under it.
  FileIdentity before = now;
  before.mtime_ns -= 1'000'000'000;
  EXPECT_FALSE(cache_->compute(fd, before, pccrc::Version::v1).has_value());
  EXPECT_FALSE(cache_->find(before, pccrc::Version::v1).has_value());
  // The file grew after the server looked: bytes past the size it was told of.
  FileIdentity shorter = now;
  shorter.size -= 10;
  EXPECT_FALSE(cache_->compute(fd, shorter, pccrc::Version::v1).has_value());
  EXPECT_FALSE(cache_->find(shorter, pccrc::Version::v1).has_value());
  EXPECT_EQ(cache_->counters().discarded, 2U);
  // The real identity hashes and is found.
  EXPECT_EQ(cache_->compute(fd, now, pccrc::Version::v1), expected_ci(medium_, pccrc::Version::v1));
  EXPECT_EQ(cache_->find(now, pccrc::Version::v1), expected_ci(medium_, pccrc::Version::v1));
  EXPECT_FALSE(cache_->find(now, pccrc::Version::v2).has_value());
  ::close(fd);
}

TEST(PccrtpFiles, TargetToPath) {
  EXPECT_EQ(target_to_path("/a/b.txt").value(), "a/b.txt");
  EXPECT_EQ(target_to_path("/a%20b").value(), "a b");
  EXPECT_EQ(target_to_path("/").value(), "");
  EXPECT_FALSE(target_to_path("a").has_value());
  EXPECT_FALSE(target_to_path("http://host/a").has_value());
  EXPECT_FALSE(target_to_path("/a/./b").has_value());
  EXPECT_FALSE(target_to_path("/%2e").has_value());
  EXPECT_FALSE(target_to_path("/a%5Cb").has_value());
  EXPECT_FALSE(target_to_path("/a%2").has_value());
}

TEST(PccrtpFiles, HttpDates) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").has_value());
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT").has_value());
}

TEST(PccrtpAccessLog, OneLineOfSevenFields) {
  PccrtpAccessLogEntry entry;
  entry.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(784111777123));
  entry.client = "127.0.0.1";
  entry.method = "GET";
  entry.target = "/a b\n";
  entry.status = 200;
  entry.body_bytes = 198;
  entry.mode = kAccessModePeerDistV1;
  EXPECT_EQ(format_access_log_line(entry),
            "1994-11-06T08:49:37.123Z 127.0.0.1 GET /a\\x20b\\x0A 200 198 peerdist-v1");
}

}  // namespace
}  // namespace peerdist::net
