#include "pccrr_test_support.hpp"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <stdexcept>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/wire/pccrr/transport.hpp"

#include "support/test_data.hpp"

namespace peerdist::net::test {

namespace http = boost::beast::http;

std::span<const std::uint8_t> TestContent::segment_bytes(std::size_t segment) const {
  const pccrc::Segment& s = ci.segments.at(segment);
  return std::span<const std::uint8_t>(bytes).subspan(s.offset, s.length);
}

Bytes TestContent::block(std::size_t segment, pccrc::BlockIndex index) const {
  const auto& d = segments.at(segment);
  const auto all = segment_bytes(segment);
  const auto b = all.subspan(std::size_t{index.value()} * d.block_size, d.block_length(index));
  return {b.begin(), b.end()};
}

TestContent make_content(std::size_t length, pccrc::HashScheme scheme, std::uint64_t seed) {
  TestContent content;
  content.bytes = peerdist::test::random_content(length, seed);
  pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(Bytes{1, 2, 3, 4}),
                                           pccrc::BuildOptions{scheme, 1, {}});
  builder.add(content.bytes);
  auto ci = builder.finish();
  if (!ci) throw std::runtime_error("cannot build the test content information");
  content.ci = std::move(*ci);
  for (const auto& segment : content.ci.segments) {
    content.segments.push_back(pccrc::describe_segment(content.ci, segment));
  }
  return content;
}

// ---------------------------------------------------------------------------------------------

IoThread::IoThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}

IoThread::~IoThread() {
  stop();
}

void IoThread::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void IoThread::run(std::function<void()> f) {
  std::promise<void> done;
  auto future = done.get_future();
  boost::asio::post(io_, [&] {
    f();
    done.set_value();
  });
  wait_for(future);
}

// ---------------------------------------------------------------------------------------------

RawConnection::RawConnection(const tcp::endpoint& server) : socket_(io_) {
  socket_.connect(server);
}

void RawConnection::send(std::string_view bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
}

void RawConnection::send(const Bytes& bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes));
}

void RawConnection::post(const Bytes& body, std::string_view target, std::string_view method) {
  std::string head(method);
  head += " ";
  head += target.empty() ? wire::pccrr::kRetrievalPath : target;
  head += " HTTP/1.1\r\nHost: peer\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  send(head);
  send(body);
}

std::optional<HttpReply> RawConnection::read_reply() {
  http::response_parser<http::vector_body<std::uint8_t>> parser;
  parser.body_limit(1U << 20U);
  boost::system::error_code ec;
  http::read(socket_, buffer_, parser, ec);
  if (ec) return std::nullopt;
  HttpReply reply;
  auto message = parser.release();
  reply.status = message.result_int();
  reply.keep_alive = message.keep_alive();
  reply.body = std::move(message.body());
  return reply;
}

bool RawConnection::closed_by_server() {
  // A read that ends (EOF or reset) says closed; SO_RCVTIMEO bounds the wait.
  timeval timeout{};
  timeout.tv_sec = kGenerous.count();
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte = 0;
  const auto n = ::recv(socket_.native_handle(), &byte, 1, 0);
  if (n == 0) return true;
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
}

HttpReply post_once(const tcp::endpoint& server, const Bytes& body) {
  RawConnection connection(server);
  connection.post(body);
  auto reply = connection.read_reply();
  if (!reply) throw std::runtime_error("no reply");
  return *reply;
}

// ---------------------------------------------------------------------------------------------

ScriptedPeer::ScriptedPeer(Script script)
    : script_(std::move(script)),
      acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
      endpoint_(acceptor_.local_endpoint()),
      acceptor_thread_([this] { accept_loop(); }) {}

ScriptedPeer::~ScriptedPeer() {
  stopping_ = true;
  // Wake the blocking accept with a connection of our own, and every connection's read.
  {
    boost::asio::io_context io;
    tcp::socket wake(io);
    boost::system::error_code ignored;
    wake.connect(endpoint_, ignored);
  }
  acceptor_thread_.join();
  {
    const std::lock_guard lock(mutex_);
    for (auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
}

std::string ScriptedPeer::ok(const Bytes& body, bool keep_alive) {
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) raw += "Connection: close\r\n";
  raw += "\r\n";
  raw.append(body.begin(), body.end());
  return raw;
}

std::string ScriptedPeer::status(unsigned code) {
  return "HTTP/1.1 " + std::to_string(code) + " Scripted\r\nContent-Length: 0\r\n\r\n";
}

void ScriptedPeer::accept_loop() {
  while (true) {
    auto socket = std::make_shared<tcp::socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (stopping_ || ec) return;
    ++connections_;
    const std::lock_guard lock(mutex_);
    sockets_.push_back(socket);
    threads_.emplace_back([this, socket] { serve(socket); });
  }
}

void ScriptedPeer::serve(std::shared_ptr<tcp::socket> socket) {
  boost::beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::vector_body<std::uint8_t>> parser;
    boost::system::error_code ec;
    http::read(*socket, buffer, parser, ec);
    if (ec || stopping_) return;
    ++requests_;
    const Reply reply = script_(parser.get().body());
    if (reply.silent) {
      // Hold the connection until the client closes it or the peer stops.
      char byte = 0;
      while (!stopping_ && ::recv(socket->native_handle(), &byte, 1, 0) > 0) {
      }
      return;
    }
    boost::asio::write(*socket, boost::asio::buffer(reply.raw), ec);
    if (ec || reply.close_after) {
      // Not closed: the destructor still shuts the descriptor down, which must stay ours.
      socket->shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
  }
}

}  // namespace peerdist::net::test
