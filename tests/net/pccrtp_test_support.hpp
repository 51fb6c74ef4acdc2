// What the tests of the PeerDist origin and of its reverse proxy share: an io_context on a
// thread, a blocking HTTP client for loopback requests, and the CI the builder gives.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "peerdist/net/pccrtp_access_log.hpp"
#include "peerdist/net/pccrtp_hash_cache.hpp"
#include "peerdist/net/pccrtp_origin.hpp"
#include "peerdist/pccrc/types.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::net::test_support {

using Bytes = std::vector<std::uint8_t>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// The server secret of every test: 32 bytes of 0x5A.
[[nodiscard]] Bytes secret_bytes();
// The encoded CI of `content` with that secret, from the builder (as `peerdist hash` gives).
[[nodiscard]] Bytes expected_ci(const Bytes& content, pccrc::Version version);

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  boost::beast::error_code ec;  // of reading the response (a cut body)
  [[nodiscard]] std::string header(const std::string& name) const;
  [[nodiscard]] Bytes bytes() const { return Bytes(body.begin(), body.end()); }
};

// One request on a new connection to 127.0.0.1:port, the whole response read (HEAD: the
// header only).
[[nodiscard]] Reply request_at(std::uint16_t port, const std::string& target,
                               const Headers& headers = {},
                               boost::beast::http::verb method = boost::beast::http::verb::get,
                               unsigned version = 11);

// The hash cache of a test server in `state_dir`, with secret_bytes() and one hashing thread.
[[nodiscard]] std::unique_ptr<PccrtpHashCache> open_test_cache(
    const std::filesystem::path& state_dir);

// 127.0.0.1, port 0: where every test server listens.
[[nodiscard]] boost::asio::ip::tcp::endpoint loopback_any_port();

// origin.listen() run on the executor's thread (as the origin requires), its result here.
[[nodiscard]] Expected<void, std::string> listen_on_thread(
    PccrtpOrigin& origin, const boost::asio::any_io_executor& executor);

// The access log of a server under test, line by line.
class AccessLogRecorder {
 public:
  // For PccrtpOriginOptions::access_log; the recorder must outlive the server.
  [[nodiscard]] std::function<void(const PccrtpAccessLogEntry&)> callback();
  // The lines once there are `count` (the server logs after its last send, which may be just
  // after the client read the response), or what there is after a generous deadline.
  [[nodiscard]] std::vector<std::string> lines(std::size_t count);

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

class IoThread {
 public:
  IoThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() { stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  IoThread(IoThread&&) = delete;
  IoThread& operator=(IoThread&&) = delete;
  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  void stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A server under test: a PccrtpOrigin (a file origin or a proxy) on 127.0.0.1 with an io
// thread of its own.
class TestServer {
 public:
  TestServer() = default;
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  TestServer(TestServer&&) = delete;
  TestServer& operator=(TestServer&&) = delete;

  // Listens on loopback_any_port() (whatever `options.endpoints` says).
  [[nodiscard]] Expected<void, std::string> start(PccrtpOriginOptions options);
  // Stops the server and joins its thread; nothing if it is not running.
  void stop();
  [[nodiscard]] PccrtpOriginCounters counters() const { return origin_->counters(); }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  std::unique_ptr<IoThread> io_;
  std::unique_ptr<PccrtpOrigin> origin_;
  std::uint16_t port_ = 0;
};

}  // namespace peerdist::net::test_support
