// What the MS-PCCRR server and client tests share: content with its segment descriptors, an
// io_context on its own thread, a blocking HTTP exchange for writing requests by hand, and a
// scripted peer (a raw acceptor answering whatever bytes a test gives it: corrupt blocks,
// wrong indices, silence).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"

namespace peerdist::net::test {

using Bytes = std::vector<std::uint8_t>;
using tcp = boost::asio::ip::tcp;

// Content, its CI (server secret 01 02 03 04) and the descriptor of each segment.
struct TestContent {
  Bytes bytes;
  pccrc::ContentInformation ci;
  std::vector<pccrc::SegmentDescriptor> segments;

  // The bytes of one segment, and of one block of it.
  [[nodiscard]] std::span<const std::uint8_t> segment_bytes(std::size_t segment) const;
  [[nodiscard]] Bytes block(std::size_t segment, pccrc::BlockIndex index) const;
};
TestContent make_content(std::size_t length, pccrc::HashScheme scheme, std::uint64_t seed = 1);

// An io_context run by one thread for the lifetime of the object.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  [[nodiscard]] boost::asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] boost::asio::any_io_executor executor() { return io_.get_executor(); }
  // Runs f on the io thread and waits for it.
  void run(std::function<void()> f);
  // Stops the thread; handlers still queued never run. A fixture calls it in TearDown, before
  // the members that queued handlers refer to (a segment source, a server) are destroyed.
  void stop();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Waits for a future with a generous deadline (tests never assert durations).
inline constexpr std::chrono::seconds kGenerous{20};
template <class T>
T wait_for(std::future<T>& f) {
  if (f.wait_for(kGenerous) != std::future_status::ready) {
    throw std::runtime_error("no answer within the generous deadline");
  }
  return f.get();
}

// One HTTP exchange written by hand over a blocking socket.
struct HttpReply {
  unsigned status = 0;
  Bytes body;
  bool keep_alive = false;  // what the header said
  bool closed = false;      // the server closed the connection after the response
};
class RawConnection {
 public:
  explicit RawConnection(const tcp::endpoint& server);
  // Writes these bytes as they are.
  void send(std::string_view bytes);
  void send(const Bytes& bytes);
  // POST of `body` to `target` (the retrieval path by default), HTTP/1.1 keep-alive.
  void post(const Bytes& body, std::string_view target = {}, std::string_view method = "POST");
  // Reads one response; nullopt when the connection ends first.
  std::optional<HttpReply> read_reply();
  // Whether the server has closed the connection (waits up to the generous deadline).
  bool closed_by_server();

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};
// A POST on a new connection, and its reply.
HttpReply post_once(const tcp::endpoint& server, const Bytes& body);

// A scripted peer on 127.0.0.1: each request body goes to the script, which says what to send
// back. Connections are served on threads of their own.
class ScriptedPeer {
 public:
  struct Reply {
    std::string raw;           // the HTTP response, sent as it is
    bool close_after = false;  // close the connection after sending it
    bool silent = false;       // send nothing, keep the connection open
  };
  using Script = std::function<Reply(const Bytes& body)>;

  explicit ScriptedPeer(Script script);
  ~ScriptedPeer();
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  [[nodiscard]] tcp::endpoint endpoint() const { return endpoint_; }
  [[nodiscard]] std::size_t connections() const noexcept { return connections_.load(); }
  [[nodiscard]] std::size_t requests() const noexcept { return requests_.load(); }

  // A 200 with this body (keep-alive unless told), or another status with none.
  static std::string ok(const Bytes& body, bool keep_alive = true);
  static std::string status(unsigned code);

 private:
  void accept_loop();
  void serve(std::shared_ptr<tcp::socket> socket);

  Script script_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
};

}  // namespace peerdist::net::test
