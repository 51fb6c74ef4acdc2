#include "peerdist/service/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "peerdist/ipc/unique_fd.hpp"

namespace peerdist::service {
namespace {

std::string errno_text(int error) { return std::strerror(error); }  // NOLINT(concurrency-mt-unsafe)

// Whether a daemon answers on the socket file: connect() succeeds only if someone listens.
// ECONNREFUSED means a file nobody listens on, left by a daemon that died.
Expected<bool, std::string> socket_is_live(const std::filesystem::path& path) {
  ipc::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Unexpected("socket(): " + errno_text(errno));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof address.sun_path) {
    return Unexpected(text + ": path too long for a Unix socket");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return true;
  }
  const int error = errno;
  if (error == ECONNREFUSED) return false;
  return Unexpected(text + ": cannot tell whether a daemon listens there: " + errno_text(error));
}

}  // namespace

Server::Server(boost::asio::io_context& io, PublicationService& service, ServerOptions options)
    : io_(io), service_(service), options_(std::move(options)), acceptor_(io), retry_timer_(io) {}

Server::~Server() {
  // Sessions end their instances before the service they belong to goes.
  for (auto& [id, session] : sessions_) session->close("daemon stopping");
  sessions_.clear();
  if (!stopped_) remove_socket_file();
}

Expected<void, std::string> Server::listen() {
  const std::filesystem::path& path = options_.socket;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Unexpected(path.string() + ": exists and is not a socket; not replacing it");
    }
    auto live = socket_is_live(path);
    if (!live) return Unexpected(live.error());
    if (*live) {
      return Unexpected(path.string() + ": a running daemon is listening on this socket");
    }
    spdlog::info("removing stale socket {} (no daemon listens on it)", path.string());
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Unexpected(path.string() + ": cannot remove the stale socket: " + errno_text(errno));
    }
  }
  boost::system::error_code ec;
  acceptor_.open(boost::asio::local::stream_protocol(), ec);
  if (!ec) acceptor_.bind(boost::asio::local::stream_protocol::endpoint(path.string()), ec);
  if (ec) return Unexpected(path.string() + ": cannot bind: " + ec.message());
  if (::chmod(path.c_str(), kSocketMode) != 0) {
    return Unexpected(path.string() + ": cannot set mode: " + errno_text(errno));
  }
  if (::stat(path.c_str(), &st) == 0) {
    socket_dev_ = st.st_dev;
    socket_ino_ = st.st_ino;
  }
  acceptor_.listen(kListenBacklog, ec);
  if (ec) return Unexpected(path.string() + ": cannot listen: " + ec.message());
  accept();
  return {};
}

void Server::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error,
                                boost::asio::local::stream_protocol::socket socket) {
    if (stopped_ || error == boost::asio::error::operation_aborted) return;
    if (error) {
      // EMFILE and the like: the listener itself is fine; try again a little later.
      spdlog::warn("accept failed: {}", error.message());
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e && !stopped_) accept();
      });
      return;
    }
    if (sessions_.size() >= options_.max_connections) {
      spdlog::warn("connection refused: limits.max_connections ({}) reached",
                   options_.max_connections);
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      auto session = std::make_shared<Session>(
          std::move(socket), service_, options_.session, [this](Session& closed) {
            // Not now: the session may be inside one of its own functions.
            boost::asio::post(io_, [this, id = closed.id()] { sessions_.erase(id); });
          });
      sessions_.emplace(session->id(), session);
      session->start();
    }
    accept();
  });
}

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  remove_socket_file();
  for (auto& [id, session] : std::map(sessions_)) session->close_gracefully();
}

void Server::remove_socket_file() {
  if (socket_ino_ == 0) return;
  struct stat st {};
  if (::lstat(options_.socket.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_) {
    ::unlink(options_.socket.c_str());
  }
  socket_ino_ = 0;
}

}  // namespace peerdist::service
